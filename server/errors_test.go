package server

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"ringside/server/config"
)

const newState = `{"event_name":"NewState","exten":"991","state":"Idle"}`

func (e *testEnv) post(path, body string, mod func(*http.Request)) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if mod != nil {
		mod(req)
	}
	return do(e.t, req)
}

func basic(u, p string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(u, p) }
}

// TestHookAnswers checks every answer of the README's webhook table.
func TestHookAnswers(t *testing.T) {
	cfg := testConfig(t)
	cfg.Sources = append(cfg.Sources,
		config.Source{Name: "walled", Vendor: "simotel", Username: "hook", Password: "pw", AllowIPs: []string{"10.1.2.3"}},
		config.Source{Name: "slow", Vendor: "simotel", Token: "t", RateLimit: 2},
	)
	e := startEnv(t, cfg)
	ok := basic("hook", "pw-pbx1")
	signed := func(secret string, at time.Time, body string) func(*http.Request) {
		return func(r *http.Request) {
			ts := strconv.FormatInt(at.Unix(), 10)
			r.Header.Set("X-Ringside-Token", "tok-sipsim")
			r.Header.Set("X-Webhook-Timestamp", ts)
			r.Header.Set("X-Webhook-Signature", hex.EncodeToString(Sign(secret, ts, []byte(body))))
		}
	}
	sip := `{"event":"incoming_call_start","pbx_id":"p1","caller":"+375291112233","receiver":"100","time":"2026-11-23T10:00:00+03:00"}`
	cases := []struct {
		name, path, body string
		mod              func(*http.Request)
		code             int
		msg              string
	}{
		{"ok", "/hooks/pbx1", newState, ok, 200, `"success":1`},
		{"missing credentials", "/hooks/pbx1", newState, nil, 401, "missing credentials"},
		{"wrong password", "/hooks/pbx1", newState, basic("hook", "nope"), 401, "invalid credentials"},
		{"wrong token", "/hooks/cloud?token=nope", `{}`, nil, 401, "invalid credentials"},
		{"ip not allowed", "/hooks/walled", newState, basic("hook", "pw"), 403, "IP is not permitted"},
		{"bad signature", "/hooks/sipsim", sip, signed("other", time.Now(), sip), 403, "bad signature"},
		{"stale timestamp", "/hooks/sipsim", sip, signed(signingSecret, time.Now().Add(-6*time.Minute), sip), 403, "more than 5 minutes"},
		{"signed ok", "/hooks/sipsim", sip, signed(signingSecret, time.Now(), sip), 200, `"success":1`},
		{"unknown source", "/hooks/nope", newState, ok, 404, "unknown source"},
		{"undecodable", "/hooks/pbx1", `{"event_name":`, ok, 400, "not valid JSON"},
		{"too large", "/hooks/pbx1", `{"event_name":"NewState","x":"` + strings.Repeat("a", MaxBody) + `"}`, ok, 413, "larger than 1 MiB"},
		{"unknown event kept", "/hooks/pbx1", `{"event_name":"BrandNewThing","unique_id":"1.2"}`, ok, 200, `"success":1`},
	}
	for _, tc := range cases {
		code, body := e.post(tc.path, tc.body, tc.mod)
		if code != tc.code || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: got %d %s, want %d containing %q", tc.name, code, body, tc.code, tc.msg)
		}
	}
	rej, _ := e.st.Rejected(0, 100)
	if len(rej) != 2 {
		t.Fatalf("want the undecodable and the oversized delivery kept, got %d", len(rej))
	}
	if !strings.Contains(rej[0].Reason, "JSON") || !bytes.HasPrefix(rej[0].Body, []byte(`{"event_name":`)) {
		t.Errorf("rejected delivery: %+v", rej[0])
	}
	if len(rej[1].Body) == 0 || !strings.Contains(rej[1].Reason, "1 MiB") {
		t.Errorf("oversized delivery kept without its head: %d bytes, %q", len(rej[1].Body), rej[1].Reason)
	}

	// 429: the bucket holds 2 deliveries, the third in the same instant is refused
	codes := []int{}
	for i := 0; i < 4; i++ {
		c, _ := e.post("/hooks/slow?token=t", `{"event_name":"NewState","exten":"`+strconv.Itoa(i)+`","state":"Idle"}`, nil)
		codes = append(codes, c)
	}
	if codes[0] != 200 || codes[3] != 429 {
		t.Errorf("rate limit answers %v, want 200 first and 429 last", codes)
	}

	// 503: the store cannot write
	e.st.Close()
	if code, body := e.post("/hooks/pbx1", `{"event_name":"NewState","exten":"992","state":"Idle"}`, ok); code != 503 {
		t.Errorf("closed store: %d %s", code, body)
	}
}

// TestRetriesLoggedOnce sends the same deliveries three times each.
func TestRetriesLoggedOnce(t *testing.T) {
	e := startEnv(t, testConfig(t))
	ok := basic("hook", "pw-pbx1")
	bodies := []string{
		`{"event_name":"Cdr","unique_id":"1610778618.378","src":"09121234567","dst":"991","disposition":"ANSWERED","starttime":"2021-01-16 06:30:37.471398","endtime":"2021-01-16 06:32:00.000000","billsec":"70","duration":"83"}`,
		newState, // no natural id: content hash
	}
	for _, b := range bodies {
		for i := 0; i < 3; i++ {
			if code, body := e.post("/hooks/pbx1", b, ok); code != 200 {
				t.Fatalf("attempt %d: %d %s", i, code, body)
			}
		}
	}
	evs := e.events()
	if len(evs) != 2 {
		t.Fatalf("three deliveries each of two bodies logged %d events, want 2: %+v", len(evs), evs)
	}
	// a state that repeats after another state is not a retry
	e.post("/hooks/pbx1", `{"event_name":"NewState","exten":"991","state":"Pause"}`, ok)
	e.post("/hooks/pbx1", newState, ok)
	if n := len(e.events()); n != 4 {
		t.Errorf("Idle, Pause, Idle logged %d events in all, want 4", n)
	}
}

// TestEventsAPIAuth checks the API's Basic / X-APIKEY rules.
func TestEventsAPIAuth(t *testing.T) {
	e := startEnv(t, testConfig(t))
	get := func(mod func(*http.Request)) (int, string) {
		req, _ := http.NewRequest("GET", e.url+"/api/v1/events", nil)
		if mod != nil {
			mod(req)
		}
		return do(t, req)
	}
	key := func(k string) func(*http.Request) { return func(r *http.Request) { r.Header.Set("X-APIKEY", k) } }
	both := func(r *http.Request) { r.SetBasicAuth("admin", "adminpw"); r.Header.Set("X-APIKEY", "admin-key") }
	for _, tc := range []struct {
		name string
		mod  func(*http.Request)
		code int
		msg  string
	}{
		{"none", nil, 401, "BasicAuth or ApiKey is missing"},
		{"bad basic", basic("admin", "x"), 401, "is invalid"},
		{"bad key", key("x"), 401, "is invalid"},
		{"basic", basic("admin", "adminpw"), 200, `"success":1`},
		{"key", key("admin-key"), 200, `"success":1`},
		{"both", both, 200, `"success":1`},
		{"agent role", basic("agent1", "agentpw"), 403, "Access denied"},
	} {
		code, body := get(tc.mod)
		if code != tc.code || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	req, _ := http.NewRequest("GET", e.url+"/api/v1/nothing", nil)
	req.SetBasicAuth("admin", "adminpw")
	if code, body := do(t, req); code != 501 || !strings.Contains(body, "does not exist") {
		t.Errorf("unknown service: %d %s", code, body)
	}
}
