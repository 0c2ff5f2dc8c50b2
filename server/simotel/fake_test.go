package simotel

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The fake's answers to raw requests, byte for byte where the docs fix them: other packages'
// tests rely on it behaving like the documented PBX.
func TestFakeContract(t *testing.T) {
	f := startFake(t, FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey,
		Denied: []string{svcUsers}, Files: map[string][]byte{recFile: []byte("ID3 audio")}})
	host := strings.TrimSuffix(f.URL(), "/api/v4")
	auth := func(r *http.Request) {
		r.SetBasicAuth(apiUser, apiPass)
		r.Header.Set("X-APIKEY", apiKey)
	}
	jsonCT := func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }
	for _, tc := range []struct {
		name, method, path, body string
		prep                     []func(*http.Request)
		status                   int
		answer                   string // exact body, or a prefix ending in "…"
	}{
		{"ping GET", "GET", "/api/v4/setting/ping/act", "", []func(*http.Request){auth}, 200,
			`{"data":null,"message":"If the 'Ping' event is enabled in the settings menu, you'll receive it when it's sent","success":1}`},
		{"ping POST empty", "POST", "/api/v4/setting/ping/act", "", []func(*http.Request){auth, jsonCT}, 200, `{"data":null,"message":"If…`},
		{"originate PUT", "PUT", "/api/v4/call/originate/act", `{"caller":"557","callee":"552","context":"main_routing","caller_id":557}`,
			[]func(*http.Request){auth, jsonCT}, 200, `{"data":{"originated_call_id":"orig.call.…`},
		{"pause", "POST", "/api/v4/pbx/queues/pauseagent", `{"queue":"999","agent":"557"}`, []func(*http.Request){auth, jsonCT}, 200,
			`{"data":{"message":"Paused successfully","ok":1},"message":"","success":1}`},
		{"missing field", "POST", "/api/v4/pbx/queues/resumeagent", `{"queue":"999"}`, []func(*http.Request){auth, jsonCT}, 200,
			`{"data":null,"message":"Field 'agent':value is missing","success":0}`},
		{"empty field", "POST", "/api/v4/call/originate/act", `{"caller":"","callee":"552"}`, []func(*http.Request){auth, jsonCT}, 200,
			`{"data":null,"message":"Field 'caller':value is missing","success":0}`},
		{"bad JSON", "POST", "/api/v4/pbx/queues/pauseagent", `{"queue":`, []func(*http.Request){auth, jsonCT}, 400,
			`{"data":null,"message":"Unable to parse content","success":0}`},
		{"JSON not an object", "POST", "/api/v4/pbx/queues/pauseagent", `["999"]`, []func(*http.Request){auth, jsonCT}, 400, `{"data":null,"message":"Unable to parse content"…`},
		{"no credentials", "POST", "/api/v4/setting/ping/act", "", nil, 401,
			`{"data":null,"message":"BasicAuth or ApiKey is missing","success":0}`},
		{"key only", "POST", "/api/v4/setting/ping/act", "", []func(*http.Request){func(r *http.Request) { r.Header.Set("X-APIKEY", apiKey) }}, 401,
			`{"data":null,"message":"BasicAuth or ApiKey is invalid","success":0}`},
		{"denied service", "POST", "/api/v4/pbx/users/search", `{"alike":true}`, []func(*http.Request){auth, jsonCT}, 403,
			`{"data":null,"message":"\"/pbx/users/search\";Access denied","success":0}`},
		{"wrong method", "DELETE", "/api/v4/call/originate/act", "", []func(*http.Request){auth}, 405,
			`{"data":null,"message":"Method not allowed","success":0}`},
		{"form body", "POST", "/api/v4/pbx/queues/pauseagent", `queue=999&agent=557`,
			[]func(*http.Request){auth, func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }}, 415,
			`{"data":null,"message":"Unsupported Media Type","success":0}`},
		{"unknown service", "POST", "/api/v4/pbx/queues/frobnicate", `{}`, []func(*http.Request){auth, jsonCT}, 501,
			`{"data":null,"message":"Requested service dose not exist","success":0}`},
		{"outside the API", "POST", "/index.php", `{}`, []func(*http.Request){auth, jsonCT}, 404, "Not Found\n"},
		{"download", "POST", "/api/v4/reports/audio/download", `{"file":"` + recFile + `"}`, []func(*http.Request){auth, jsonCT}, 200, "ID3 audio"},
		{"download range", "POST", "/api/v4/reports/audio/download", `{"file":"` + recFile + `"}`,
			[]func(*http.Request){auth, jsonCT, func(r *http.Request) { r.Header.Set("Range", "bytes=4-") }}, 206, "audio"},
		{"download unknown", "POST", "/api/v4/reports/audio/download", `{"file":"x.mp3"}`, []func(*http.Request){auth, jsonCT}, 404, "Not Found\n"},
	} {
		req, _ := http.NewRequest(tc.method, host+tc.path, strings.NewReader(tc.body))
		for _, p := range tc.prep {
			p(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := string(b)
		ok := got == tc.answer
		if prefix, cut := strings.CutSuffix(tc.answer, "…"); cut {
			ok = strings.HasPrefix(got, prefix)
		}
		if resp.StatusCode != tc.status || !ok {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, got, tc.status, tc.answer)
		}
		if tc.status == 405 && resp.Header.Get("Allow") != "POST, PUT" {
			t.Errorf("%s: Allow %q", tc.name, resp.Header.Get("Allow"))
		}
		reqs := f.Requests()
		if last := reqs[len(reqs)-1]; last.Status != tc.status || last.Method != tc.method || string(last.Body) != tc.body {
			t.Errorf("%s: recorded %d %s %q", tc.name, last.Status, last.Method, last.Body)
		}
	}
	if got := len(f.Requests()); got != 18 {
		t.Errorf("recorded %d requests, want 18", got)
	}
}

func TestFakeAllowIPs(t *testing.T) {
	for _, tc := range []struct {
		allow  []string
		status int
	}{{nil, 200}, {[]string{"127.0.0.1"}, 200}, {[]string{"10.0.0.7"}, 403}} {
		f := startFake(t, FakeOptions{AllowIPs: tc.allow})
		resp, err := http.Get(f.URL() + "/setting/ping/act")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status == 403 && !strings.Contains(string(b), `"IP is not permitted"`)) {
			t.Errorf("allow %v: %d %s", tc.allow, resp.StatusCode, b)
		}
	}
}
