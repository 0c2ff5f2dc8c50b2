package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"ringside/server/call"
	"ringside/server/sim"
)

// Recordings Ringside cannot play are said to be held by the PBX, on the API, the call
// card and the agent's card, instead of a player that answers 404; a cloud PBX record
// whose recording is a link plays. Payloads: Simotel's documented Cdr example (its
// record is a file name) on a source without [sources.api], and cloud PBX records with
// a recording id and with a recording link.
func TestHeldRecordings(t *testing.T) {
	cfg := scenarioConfig(t)
	e := startClocked(t, cfg)
	pbx, cloud := simSource(t, cfg, "pbx1", ""), simSource(t, cfg, "cloud", "")
	post := func(src sim.Source, target, body string) {
		e.deliver(timedDelivery{src: src, at: storyT0,
			d: sim.Delivery{Method: "POST", Target: target, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}})
	}
	post(pbx, "/hooks/pbx1", `{"event_name":"Cdr","starttime":"2026-03-10 12:29:37.471398","endtime":"2026-03-10 12:29:57.471398",`+
		`"src":"09121234567","dst":"991","type":"incoming","disposition":"ANSWERED","billsec":9,"wait":11,`+
		`"record":"20210116_1610778618.378.mp3","unique_id":"1610778618.378"}`)
	cloudRecord := func(id, rec string) string {
		return `{"triggerId":"t1","id":"` + id + `","cdr":{"id":"` + id + `","dType":"CloudSessionCdr","sVer":1,"tz":"Europe/London",` +
			`"start":"2026-03-10T09:00:00+00:00","answer":"2026-03-10T09:00:05+00:00","end":"2026-03-10T09:01:00+00:00",` +
			`"dur":60,"talk":55,"ans":1,"cause":"NORMAL_CLEARING","dir":2,"cliNum":"+447700900123","ddiNum":"+441614960000",` +
			`"ansUsrNum":"991","ansUsrName":"Petr Novák","hasRec":1,"recordingIds":["` + rec + `"]}}`
	}
	post(cloud, "/hooks/cloud", cloudRecord("c-id", "00000000-0000-0000-0000-0000000000b1"))
	post(cloud, "/hooks/cloud", cloudRecord("c-url", "https://rec.cloud.example/r/c-url.mp3"))
	e.settle()

	recs := func(id string) []call.Recording {
		var c call.Call
		if err := json.Unmarshal(e.get("/api/v1/calls/"+id), &c); err != nil {
			t.Fatal(err)
		}
		return c.Recordings
	}
	cases := []struct {
		id, held string // held: a part of the reason, "" when it plays
	}{
		{"pbx1:1610778618.378", "configure [sources.api] for source pbx1"},
		{"cloud:c-id", "without a link"},
		{"cloud:c-url", ""},
	}
	admin := e.formLogin("admin", "adminpw")
	for _, tc := range cases {
		r := recs(tc.id)
		if len(r) != 1 {
			t.Fatalf("%s: recordings %+v", tc.id, r)
		}
		card := e.page(t, "/calls/"+tc.id, admin)
		if tc.held != "" {
			if r[0].URL != "" || !strings.Contains(r[0].Held, tc.held) {
				t.Errorf("%s: API recording %+v, want held %q and no URL", tc.id, r[0], tc.held)
			}
			if strings.Contains(card, "<audio") || !strings.Contains(card, "Held by the PBX") {
				t.Errorf("%s: the call card draws a player or does not say the recording is held", tc.id)
			}
			continue
		}
		if r[0].URL == "" || r[0].Held != "" {
			t.Errorf("%s: a recording link must play: %+v", tc.id, r[0])
		}
		if !strings.Contains(card, `<audio controls preload="none" src="`+r[0].URL+`"`) {
			t.Errorf("%s: no player on the call card", tc.id)
		}
		req, _ := http.NewRequest("GET", e.url+r[0].URL, nil)
		req.AddCookie(admin)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://rec.cloud.example/r/c-url.mp3" {
			t.Errorf("%s: playing answers %d to %q", tc.id, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// page fetches a page with a session cookie.
func (e *scenarioEnv) page(t *testing.T, path string, cookie *http.Cookie) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.AddCookie(cookie)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}
