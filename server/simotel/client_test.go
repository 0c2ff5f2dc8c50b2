package simotel

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

const (
	apiUser = "ringside"
	apiPass = "Pa55-w0rd-secret"
	apiKey  = "vZKtIKWsld0egNlkzHo8i5LVBqLNBSWARCQ"
	recFile = "20210116_1610778618.378.mp3"
)

// secrets are texts that must never appear in an error.
var secrets = []string{apiPass, apiKey, base64.StdEncoding.EncodeToString([]byte(apiUser + ":" + apiPass))}

func startFake(t *testing.T, opt FakeOptions) *Fake {
	t.Helper()
	f := NewFake(opt)
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func fullClient(f *Fake) *Client {
	return New(Config{URL: f.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey, Timeout: 5 * time.Second}, nil)
}

func noSecrets(t *testing.T, err error) {
	t.Helper()
	for _, s := range secrets {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error shows a secret %q: %v", s, err)
		}
	}
}

func mp3(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + recFile)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAuthModes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, mode       string
		user, pass, key  string // what the client sends
		wantErr          string // "" = success
		wantBasic, wantK bool   // headers sent
	}{
		{"basic", "basic", apiUser, apiPass, "", "", true, false},
		{"apikey", "apikey", "", "", apiKey, "", false, true},
		{"both", "both", apiUser, apiPass, apiKey, "", true, true},
		{"basic without creds", "basic", "", "", "", "BasicAuth or ApiKey is missing", false, false},
		{"basic wrong password", "basic", apiUser, "nope-nope", "", "BasicAuth or ApiKey is invalid", true, false},
		{"apikey wrong key", "apikey", "", "", "wrong-key-123", "BasicAuth or ApiKey is invalid", false, true},
		{"apikey given basic only", "apikey", apiUser, apiPass, "", "BasicAuth or ApiKey is missing", true, false},
		{"both given key only", "both", "", "", apiKey, "BasicAuth or ApiKey is invalid", false, true},
		{"both given basic only", "both", apiUser, apiPass, "", "BasicAuth or ApiKey is invalid", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(t, FakeOptions{Auth: tc.mode, Username: apiUser, Password: apiPass, APIKey: apiKey})
			c := New(Config{URL: f.URL(), Username: tc.user, Password: tc.pass, APIKey: tc.key}, nil)
			err := c.Ping(ctx)
			noSecrets(t, err)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) || e.Status != 401 || e.Message != tc.wantErr {
					t.Fatalf("err = %#v, want 401 %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), "check [sources.api] username/password/api_key") {
					t.Errorf("error does not say what to check: %v", err)
				}
			}
			reqs := f.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			h := reqs[0].Header
			u, p, ok := (&http.Request{Header: h}).BasicAuth()
			if ok != tc.wantBasic || (ok && (u != tc.user || p != tc.pass)) {
				t.Errorf("basic auth sent = %v %q %q, want %v", ok, u, p, tc.wantBasic)
			}
			if k := h.Get("X-APIKEY"); (k != "") != tc.wantK || (tc.wantK && k != tc.key) {
				t.Errorf("X-APIKEY sent = %q, want present=%v", k, tc.wantK)
			}
			if reqs[0].Method != "POST" || reqs[0].Service != svcPing || h.Get("Content-Type") != "application/json" {
				t.Errorf("request = %s %s %q", reqs[0].Method, reqs[0].Service, h.Get("Content-Type"))
			}
		})
	}
}

func TestOriginate(t *testing.T) {
	ctx := context.Background()
	hooked := make(chan Originate, 1)
	var hookID string
	f := startFake(t, FakeOptions{Username: apiUser, Password: apiPass, APIKey: apiKey,
		OnOriginate: func(id string, o Originate) { hookID = id; hooked <- o }})
	id, err := fullClient(f).Originate(ctx, Originate{Caller: "557", Callee: "09121234567", TrunkName: "cisco"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "orig.call.") {
		t.Errorf("id = %q", id)
	}
	got := <-hooked
	if hookID != id || got.Caller != "557" || got.Callee != "09121234567" {
		t.Errorf("PBX saw %q %+v, client got %q", hookID, got, id)
	}
	r := f.Requests()[0]
	want := map[string]string{"caller": "557", "callee": "09121234567", "context": "main_routing", "caller_id": "557",
		"trunk_name": "cisco", "timeout": "30", "call_limit": ""}
	for k, v := range want {
		if s, ok := r.Fields[k].(string); !ok || s != v {
			t.Errorf("body %s = %#v, want the string %q", k, r.Fields[k], v)
		}
	}
	if len(r.Fields) != len(want) {
		t.Errorf("body has fields %v", r.Fields)
	}

	// Configured context, explicit caller id, timeout and call limit.
	c := New(Config{URL: f.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey, Context: "from_crm"}, nil)
	id2, err := c.Originate(ctx, Originate{Caller: "557", Callee: "552", CallerID: "02191305588", Timeout: 20, CallLimit: 600})
	if err != nil {
		t.Fatal(err)
	}
	<-hooked
	if id2 == id {
		t.Errorf("two originates got the same id %q", id)
	}
	r = f.Requests()[1]
	for k, v := range map[string]string{"context": "from_crm", "caller_id": "02191305588", "timeout": "20", "call_limit": "600", "trunk_name": ""} {
		if r.Field(k) != v {
			t.Errorf("body %s = %q, want %q", k, r.Field(k), v)
		}
	}
}

func TestPauseResume(t *testing.T) {
	ctx := context.Background()
	type ev struct {
		queue, agent string
		paused       bool
	}
	events := make(chan ev, 2)
	f := startFake(t, FakeOptions{APIKey: apiKey, OnPause: func(q, a string, p bool) { events <- ev{q, a, p} }})
	c := New(Config{URL: f.URL(), APIKey: apiKey}, nil)
	if err := c.PauseAgent(ctx, "999", "557"); err != nil {
		t.Fatal(err)
	}
	if e := <-events; e != (ev{"999", "557", true}) {
		t.Errorf("pause hook = %+v", e)
	}
	if err := c.ResumeAgent(ctx, "999", "557"); err != nil {
		t.Fatal(err)
	}
	if e := <-events; e != (ev{"999", "557", false}) {
		t.Errorf("resume hook = %+v", e)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Service != svcPause || reqs[1].Service != svcResume ||
		reqs[0].Field("queue") != "999" || reqs[1].Field("agent") != "557" {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestSearchUsers(t *testing.T) {
	f := startFake(t, FakeOptions{Users: []User{
		{ID: "1", Name: "Petr Novak", Number: "991"}, {ID: "2", Name: "Jana", Number: "992"}, {ID: "3", Name: "Reception", Number: "100"},
	}})
	c := New(Config{URL: f.URL()}, nil)
	users, err := c.SearchUsers(context.Background(), "", "99")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Name != "Petr Novak" || users[1].Number != "992" {
		t.Errorf("users = %+v", users)
	}
	r := f.Requests()[0]
	if r.Field("alike") != "true" || !strings.Contains(string(r.Body), `"conditions":{"name":"","number":"99"}`) {
		t.Errorf("body = %s", r.Body)
	}
	all, err := c.SearchUsers(context.Background(), "", "")
	if err != nil || len(all) != 3 {
		t.Errorf("all users = %+v, %v", all, err)
	}
}

func TestEnvelopeVariants(t *testing.T) {
	// The answers real PBXs send differ in small ways: each must decode.
	c := New(Config{URL: "http://pbx.example"}, nil)
	ok := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}
	for _, body := range []string{
		`{"success":1,"message":null,"data":{"originated_call_id":"orig.call.1703145054.787335"}}`,
		`{"success":"1","message":"","data":{"originated_call_id":"orig.call.1703145054.787335"}}`,
		`{"success":true,"data":{"originated_call_id":"orig.call.1703145054.787335"}}`,
	} {
		var out struct {
			ID string `json:"originated_call_id"`
		}
		if err := c.decode(svcOriginate, ok, []byte(body), &out); err != nil || out.ID != "orig.call.1703145054.787335" {
			t.Errorf("%s: %v %+v", body, err, out)
		}
	}
	var u User
	if err := u.UnmarshalJSON([]byte(`{"_id":"64b5","name":"Ali","number":101,"cid_number":9331112233123456789}`)); err != nil ||
		u.Number != "101" || u.CIDNumber != "9331112233123456789" {
		t.Errorf("numbers as JSON numbers: %+v %v", u, err)
	}
	if err := c.decode(svcPing, ok, []byte(`<html>Simotel login</html>`), nil); err == nil || !strings.Contains(err.Error(), "check [sources.api] url") {
		t.Errorf("HTML answer: %v", err)
	}
	if New(Config{URL: "http://pbx.example"}, nil).base != "http://pbx.example/api/v4" {
		t.Error("bare URL did not get /api/v4")
	}
	if err := New(Config{URL: "pbx.example/api"}, nil).Ping(context.Background()); err == nil {
		t.Error("URL without scheme accepted")
	}
}

func TestErrorTable(t *testing.T) {
	ctx := context.Background()
	opt := FakeOptions{Username: apiUser, Password: apiPass, APIKey: apiKey,
		Fail: map[string]string{svcResume: "Requested operation failed"}, Files: map[string][]byte{recFile: mp3(t)}}
	f := startFake(t, opt)
	c := fullClient(f)
	denied := opt
	denied.Denied = []string{svcOriginate}
	fDenied := startFake(t, denied)
	walled := opt
	walled.AllowIPs = []string{"10.1.2.3"}
	fWalled := startFake(t, walled)

	for _, tc := range []struct {
		name    string
		call    func() error
		status  int
		message string
		says    string // in Error()
	}{
		{"200 missing field", func() error { return c.PauseAgent(ctx, "", "557") },
			200, "Field 'queue':value is missing", "operation failed: Field 'queue':value is missing"},
		{"200 operation failed", func() error { return c.ResumeAgent(ctx, "999", "557") },
			200, "Requested operation failed", "operation failed: Requested operation failed"},
		{"200 download JSON instead of audio", func() error { _, err := c.Download(ctx, "", ""); return err },
			200, "Field 'file':value is missing", "operation failed"},
		{"400", func() error {
			return c.callRaw(ctx, "POST", svcOriginate, "application/json", []byte(`{"caller":`), nil)
		},
			400, "Unable to parse content", "unexpected HTTP 400 Bad Request: Unable to parse content"},
		{"401 missing", func() error { return New(Config{URL: f.URL()}, nil).Ping(ctx) },
			401, "BasicAuth or ApiKey is missing", "Simotel API rejected the credentials (BasicAuth or ApiKey is missing): check [sources.api] username/password/api_key"},
		{"401 invalid", func() error {
			return New(Config{URL: f.URL(), Username: apiUser, Password: "x" + apiPass, APIKey: apiKey}, nil).Ping(ctx)
		}, 401, "BasicAuth or ApiKey is invalid", "Simotel API rejected the credentials (BasicAuth or ApiKey is invalid): check [sources.api] username/password/api_key"},
		{"403 access denied", func() error {
			_, err := fullClient(fDenied).Originate(ctx, Originate{Caller: "1", Callee: "2"})
			return err
		},
			403, `"/call/originate/act";Access denied`, "the API account lacks permission for call/originate/act"},
		{"403 IP", func() error { return fullClient(fWalled).Ping(ctx) },
			403, "IP is not permitted", "the Simotel PBX does not permit Ringside's IP address: add it to the API account's allowed IPs"},
		{"404 wrong path", func() error {
			return New(Config{URL: strings.TrimSuffix(f.URL(), "/api/v4") + "/simotel", Username: apiUser, Password: apiPass, APIKey: apiKey}, nil).Ping(ctx)
		}, 404, "", "check [sources.api] url"},
		{"404 file", func() error { _, err := c.Download(ctx, "nope.mp3", ""); return err },
			404, "", "recording file not found"},
		{"405", func() error { return c.callRaw(ctx, "GET", svcOriginate, "", nil, nil) },
			405, "Method not allowed", "unexpected HTTP 405 Method Not Allowed: Method not allowed"},
		{"415", func() error { return c.callRaw(ctx, "POST", svcPause, "text/plain", []byte(`queue=999`), nil) },
			415, "Unsupported Media Type", "unexpected HTTP 415 Unsupported Media Type"},
		{"501", func() error {
			return c.callRaw(ctx, "POST", "pbx/queues/nonesuch", "application/json", []byte(`{}`), nil)
		},
			501, "Requested service dose not exist", "unexpected HTTP 501 Not Implemented: Requested service dose not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Status != tc.status || e.Message != tc.message || e.Success != 0 {
				t.Errorf("got %d %d %q, want %d 0 %q", e.Status, e.Success, e.Message, tc.status, tc.message)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Error() = %q, want it to say %q", err, tc.says)
			}
			if got := errors.Is(err, ErrNotFound); got != (tc.name == "404 file") {
				t.Errorf("errors.Is(ErrNotFound) = %v", got)
			}
			noSecrets(t, err)
		})
	}
}

func TestTimeouts(t *testing.T) {
	ctx := context.Background()
	f := startFake(t, FakeOptions{Delay: 3 * time.Second, Files: map[string][]byte{recFile: mp3(t)}})
	c := New(Config{URL: f.URL(), Timeout: 150 * time.Millisecond}, nil)
	for name, call := range map[string]func() error{
		"ping":     func() error { return c.Ping(ctx) },
		"download": func() error { _, err := c.Download(ctx, recFile, ""); return err },
	} {
		start := time.Now()
		err := call()
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s: took %v with a 150ms timeout", name, took)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), f.URL()) ||
			!strings.Contains(err.Error(), "did not answer within 150ms") {
			t.Errorf("%s: err = %v", name, err)
		}
	}

	// The fake notices a client leaving on its own time.
	reqs := f.Requests()
	for deadline := time.Now().Add(2 * time.Second); len(reqs) < 2 && time.Now().Before(deadline); reqs = f.Requests() {
		time.Sleep(10 * time.Millisecond)
	}
	if len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != 0 {
		t.Errorf("timed-out requests recorded as %+v", reqs)
	}

	// The caller giving up is not a timeout.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := New(Config{URL: f.URL()}, nil).Ping(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func TestNetworkErrorsHideCredentials(t *testing.T) {
	f := startFake(t, FakeOptions{})
	f.Close() // nothing listens there now
	host := strings.TrimPrefix(strings.TrimSuffix(f.URL(), "/api/v4"), "http://")
	c := New(Config{URL: "http://" + apiUser + ":" + apiPass + "@" + host + "/api/v4", APIKey: apiKey}, nil)
	if c.cfg.Username != apiUser || c.cfg.Password != apiPass {
		t.Errorf("credentials in the URL were not taken: %+v", c.cfg)
	}
	err := c.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot reach http://"+host+"/api/v4/setting/ping/act") {
		t.Errorf("err = %v", err)
	}
	noSecrets(t, err)
	_, err = c.Download(context.Background(), recFile, "bytes=0-")
	if err == nil {
		t.Error("download from nowhere succeeded")
	}
	noSecrets(t, err)

	// A PBX message that echoes a secret is redacted.
	e := c.decode(svcPing, &http.Response{StatusCode: 200}, []byte(`{"success":0,"message":"bad key `+apiKey+`"}`), nil)
	if e == nil || !strings.Contains(e.Error(), "bad key ***") {
		t.Errorf("echo: %v", e)
	}
	noSecrets(t, e)
}
