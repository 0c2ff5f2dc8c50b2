package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLongGETWebhookKept: a vendor's GET webhook of 20 KiB (fields in the query string;
// the old 4 KiB header limit answered 431 and lost it) is accepted and logged.
func TestLongGETWebhookKept(t *testing.T) {
	e := startEnv(t, testConfig(t))
	target := "/hooks/pbx1/Cdr?event_name=Cdr&starttime=2021-06-01+18%3A05%3A10.000120&endtime=2021-06-01+18%3A05%3A14.310002" +
		"&src=991&dst=09121234567&type=outgoing&disposition=BUSY&duration=4&billsec=0&wait=4&unique_id=1622558110.455" +
		"&outgoing_point=" + strings.Repeat("x", 20<<10)
	req, _ := http.NewRequest("GET", e.url+target, nil)
	req.SetBasicAuth("hook", "pw-pbx1")
	if code, body := do(t, req); code != 200 {
		t.Fatalf("20 KiB GET webhook: %d %.200s", code, body)
	}
	found := false
	for _, ev := range e.events() {
		found = found || ev.Call == "pbx1:1622558110.455"
	}
	if !found {
		t.Errorf("the long GET webhook's event is not in the log: %+v", e.events())
	}
}

// TestTransportHeaders: with an https public_url every answer carries
// Strict-Transport-Security; the API and the CSV export carry Cache-Control: no-store.
func TestTransportHeaders(t *testing.T) {
	cfg := testConfig(t)
	cfg.PublicURL = "https://ringside.example.com"
	e := startEnv(t, cfg)
	cookie := e.formLogin("admin", "adminpw")
	get := func(path string) http.Header {
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.Header.Set("X-APIKEY", "admin-key")
		req.AddCookie(cookie)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return resp.Header
	}
	for _, p := range []string{"/api/v1/calls", "/api/v1/events", "/cdrs.csv", "/cdrs", "/healthz"} {
		h := get(p)
		if !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s: Strict-Transport-Security %q", p, h.Get("Strict-Transport-Security"))
		}
		if p != "/healthz" && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", p, h.Get("Cache-Control"))
		}
	}
	plain := startEnv(t, testConfig(t)) // published over http: no HSTS (browsers ignore it there anyway)
	resp, err := http.Get(plain.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("http public_url: Strict-Transport-Security %q", h)
	}
}

// TestDateFiltersOutOfRange: a date the store cannot represent (before 1678, after
// 2262) is answered 400 on the API, the CDR page and the CSV export, instead of an
// empty result that looks like "no calls".
func TestDateFiltersOutOfRange(t *testing.T) {
	e := startEnv(t, testConfig(t))
	cookie := e.formLogin("admin", "adminpw")
	for _, body := range []string{`{"conditions":{"from":"1600-01-01T00:00:00Z"}}`, `{"conditions":{"to":"2300-01-01T00:00:00Z"}}`} {
		req, _ := http.NewRequest("POST", e.url+"/api/v1/cdrs/search", strings.NewReader(body))
		req.Header.Set("X-APIKEY", "admin-key")
		req.Header.Set("Content-Type", "application/json")
		if code, resp := do(t, req); code != 400 || !strings.Contains(resp, "1678") {
			t.Errorf("API search %s: %d %s, want 400", body, code, resp)
		}
	}
	for _, p := range []string{"/cdrs?from=1600-01-01", "/cdrs.csv?to=2300-12-31", "/cdrs?to=2262-12-31"} {
		req, _ := http.NewRequest("GET", e.url+p, nil)
		req.AddCookie(cookie)
		if code, _ := do(t, req); code != 400 {
			t.Errorf("GET %s: %d, want 400", p, code)
		}
	}
	req, _ := http.NewRequest("GET", e.url+"/cdrs?from=2020-01-01&to=2030-12-31", nil)
	req.AddCookie(cookie)
	if code, _ := do(t, req); code != 200 {
		t.Errorf("dates in range: %d, want 200", code)
	}
}

// TestPBXAddressNotShownToPeople: the PBX's API is down; an agent's click-to-call and
// pause, and an API client's, are told so without the API's internal address (which
// the admin finds in the log).
func TestPBXAddressNotShownToPeople(t *testing.T) {
	e, fake := actionsEnv(t, "")
	addr := strings.TrimPrefix(strings.TrimPrefix(fake.URL(), "http://"), "https://")
	host, _, _ := strings.Cut(addr, "/")
	fake.Close() // the PBX is down: connections to its address are refused
	petr := e.formLogin("petr", personPass)
	answers := map[string]string{}
	_, answers["page originate"] = e.pagePost(petr, "/calls/originate", url.Values{"number": {"09121234567"}})
	_, answers["page pause"] = e.pagePost(petr, "/agent/pause", url.Values{"queue": {"902"}, "reason": {"Break"}})
	_, answers["API originate"] = e.post("/api/v1/calls/originate", `{"agent":"petr","number":"09121234567"}`, apiKeyed("petr-key"))
	for what, a := range answers {
		if strings.Contains(a, host) || strings.Contains(a, "127.0.0.1") || strings.Contains(a, "api/v4") {
			t.Errorf("%s shows the PBX's address: %s", what, a)
		}
		if !strings.Contains(a, "PBX did not answer") {
			t.Errorf("%s does not say the PBX did not answer: %s", what, a)
		}
	}
}
