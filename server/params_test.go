package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ringside/server/ingest/ingesttest"
)

// TestEncodedIDsInPaths: a call id with ":", a space, "<" and "%" is reachable under
// every route that names it, in the percent-encoded form clients produce.
func TestEncodedIDsInPaths(t *testing.T) {
	e := startClocked(t, testConfig(t))
	e.clk.set(time.Now()) // the signature's timestamp is checked against it
	const vendorID = "q 1<2:3%"
	body := fmt.Sprintf(`{"event":"incoming_call_end","pbx_id":%q,"caller":"+375331112233","receiver":"+375172000100",`+
		`"status":"answer","duration":12,"time":%q,"audio_path":"https://rec.example/a.mp3"}`, vendorID, time.Now().Format(time.RFC3339))
	if code, msg := e.send(ingesttest.Raw{Method: "POST", Target: "/hooks/sipsim", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}); code != 200 {
		t.Fatalf("hook: %d %s", code, msg)
	}
	e.settle()
	id := "sipsim:" + vendorID
	enc := url.PathEscape(id)
	for _, form := range []string{enc, strings.ReplaceAll(url.QueryEscape(id), "+", "%20")} {
		req, _ := http.NewRequest("GET", e.url+"/api/v1/calls/"+form, nil)
		req.Header.Set("X-APIKEY", "admin-key")
		code, got := do(t, req)
		var env struct{ Data struct{ ID string } }
		if json.Unmarshal([]byte(got), &env); code != 200 || env.Data.ID != id {
			t.Fatalf("GET /api/v1/calls/%s: %d, id %q; want 200 and %q (%s)", form, code, env.Data.ID, id, got)
		}
	}

	cookie := e.formLogin("admin", "adminpw")
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", e.url, nil)
		req.URL.Opaque = path // sent as written, even when malformed
		req.AddCookie(cookie)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/calls/" + enc); resp.StatusCode != 200 {
		t.Errorf("GET /calls/%s: %s, want 200", enc, resp.Status)
	}
	resp := get("/recordings/" + enc + "/0")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://rec.example/a.mp3" {
		t.Errorf("GET /recordings/%s/0: %s to %q, want a redirect to the vendor URL", enc, resp.Status, resp.Header.Get("Location"))
	}
	// The recording URL the call carries is itself encoded, so a browser following it lands here.
	var cl struct{ Recordings []struct{ URL string } }
	req, _ := http.NewRequest("GET", e.url+"/api/v1/calls/"+enc, nil)
	req.Header.Set("X-APIKEY", "admin-key")
	_, got := do(t, req)
	var env struct{ Data json.RawMessage }
	json.Unmarshal([]byte(got), &env)
	json.Unmarshal(env.Data, &cl)
	if len(cl.Recordings) != 1 || cl.Recordings[0].URL != "/recordings/"+enc+"/0" {
		t.Errorf("recording URLs %+v, want /recordings/%s/0", cl.Recordings, enc)
	}
	if resp := get("/calls/sipsim%3Aother"); resp.StatusCode != 404 {
		t.Errorf("unknown encoded id: %s, want 404", resp.Status)
	}
	if resp := get("/calls/%zz"); resp.StatusCode != 404 {
		t.Errorf("malformed escape: %s, want 404", resp.Status)
	}
}
