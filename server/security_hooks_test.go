package server

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/store"
)

// signedBy signs a SipSim body as the new platform does (and gives the source's token).
func signedBy(secret string, body string) func(*http.Request) {
	return func(r *http.Request) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r.Header.Set("X-Ringside-Token", "tok-sipsim")
		r.Header.Set("X-Webhook-Timestamp", ts)
		r.Header.Set("X-Webhook-Signature", hex.EncodeToString(Sign(secret, ts, []byte(body))))
	}
}

// lastRejected is the newest kept rejection.
func (e *testEnv) lastRejected() store.StoredDelivery {
	e.t.Helper()
	rej, err := e.st.Rejected(0, 10000)
	if err != nil || len(rej) == 0 {
		e.t.Fatalf("no rejected delivery kept (err %v)", err)
	}
	return rej[len(rej)-1]
}

// stored is the whole event log, as the store holds it.
func (e *testEnv) stored() []call.Event {
	e.t.Helper()
	evs, err := e.st.Events(0, 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// Attack: a recording URL carrying "\r\nSet-Cookie: ..." (or pointing at the
// browser's own machine) was stored and later written into a redirect's Location.
// Now the delivery is refused at the door: 400, body kept, nothing logged.
func TestRecordingURLInjectionRefused(t *testing.T) {
	e := startEnv(t, testConfig(t))
	before := e.st.LastSeq()
	for name, audio := range map[string]string{
		"CRLF":        "https://rec.example.com/a.mp3\r\nSet-Cookie: planted=1; Path=/",
		"encoded LF":  "https://rec.example.com/a.mp3\nLocation: https://evil.example",
		"javascript":  "javascript:alert(1)//https://x",
		"loopback":    "https://127.0.0.1:8080/logout",
		"numeric":     "https://2130706433/admin",
		"link-local":  "https://169.254.169.254/latest/meta-data/",
		"plain http":  "http://rec.example.com/a.mp3",
		"credentials": "https://user:pw@rec.example.com/a.mp3",
	} {
		fields := map[string]any{"event": "incoming_call_end", "pbx_id": "inj-" + strings.ReplaceAll(name, " ", ""), "caller": "+375290000000",
			"receiver": "100", "status": "answer", "duration": 10, "time": "2026-11-23T10:00:00Z", "audio_path": audio}
		b, _ := json.Marshal(fields)
		code, body := e.post("/hooks/sipsim", string(b), signedBy(signingSecret, string(b)))
		if code != 400 || !strings.Contains(body, "recording URL") {
			t.Errorf("%s: answered %d %s, want 400 naming the recording URL", name, code, body)
			continue
		}
		if got := e.lastRejected(); string(got.Body) != string(b) {
			t.Errorf("%s: kept body %q, want the delivery as sent", name, got.Body)
		}
	}
	if seq := e.st.LastSeq(); seq != before {
		t.Errorf("the log grew from %d to %d: a refused delivery was logged", before, seq)
	}
	// a plain https link is still taken, re-encoded
	ok := `{"event":"incoming_call_end","pbx_id":"fine","caller":"+375290000000","receiver":"100","status":"answer","duration":10,"time":"2026-11-23T10:00:00Z","audio_path":"https://vrecords.call-tracking.by/monitor/X?a=b c"}`
	if code, body := e.post("/hooks/sipsim", ok, signedBy(signingSecret, ok)); code != 200 {
		t.Fatalf("a plain https recording: %d %s", code, body)
	}
	evs := e.stored()
	if last := evs[len(evs)-1]; len(last.Recordings) != 1 || last.Recordings[0] != "https://vrecords.call-tracking.by/monitor/X?a=b%20c" {
		t.Errorf("stored recording %v, want the URL re-encoded", last.Recordings)
	}
}

// Attack: NaN, Infinity or a year-9999-with-offset time made the store refuse the
// delivery, which was answered 503 (vendor retries forever) and not kept. Now: 400
// naming the value, body kept; 503 stays for a store that is really down.
func TestUnstorableValuesAre400(t *testing.T) {
	e := startEnv(t, testConfig(t))
	ok := basic("hook", "pw-pbx1")
	cdr := func(field, value string) string {
		return `{"event_name":"Cdr","unique_id":"nan-` + field + `","src":"09121234567","dst":"991","type":"incoming","disposition":"ANSWERED",` +
			`"starttime":"2026-11-23 10:00:00.000000","endtime":"2026-11-23 10:01:00.000000","duration":60,"billsec":50,"wait":10,` +
			`"` + field + `":` + value + `}`
	}
	for _, tc := range []struct{ name, body, why string }{
		{"NaN", cdr("duration", `"NaN"`), "duration_s is NaN"},
		{"Infinity", cdr("billsec", `"Infinity"`), "talk_s is +Inf"},
		{"-Inf wait", cdr("wait", `"-Inf"`), "wait_s is -Inf"},
		{"year 10000", cdr("endtime", `"9999-12-31T23:59:59-10:00"`), "outside the years"},
	} {
		code, body := e.post("/hooks/pbx1", tc.body, ok)
		if code != 400 || !strings.Contains(body, tc.why) {
			t.Errorf("%s: answered %d %s, want 400 saying %q", tc.name, code, body, tc.why)
			continue
		}
		if got := e.lastRejected(); string(got.Body) != tc.body || !strings.Contains(got.Reason, tc.why) {
			t.Errorf("%s: kept %q (%s), want the body and the reason", tc.name, got.Body, got.Reason)
		}
	}
	if code, body := e.post("/hooks/pbx1", cdr("poll_point", `"5"`), ok); code != 200 {
		t.Fatalf("the same record with plain values: %d %s", code, body)
	}
	// A delivery the store itself cannot encode is a 400 too, never "store unavailable".
	_, err := e.st.Append(context.Background(), store.Delivery{Source: "pbx1", Body: []byte("x")},
		[]call.Event{{Name: "x", Type: call.Other, WaitS: call.F(nanValue())}})
	if err == nil || strings.Contains(err.Error(), "unavailable") {
		t.Errorf("appending a NaN: %v, want an encoding error that is not 'unavailable'", err)
	}
	e.st.Close() // really down
	if code, body := e.post("/hooks/pbx1", newState, ok); code != 503 {
		t.Errorf("store closed: %d %s, want 503", code, body)
	}
}

func nanValue() float64 { var z float64; return z / z }

// Attack: a captured signed SipSim delivery replayed with extra query fields (and an
// {event} path segment) became several events with a forged caller. Now a signed
// delivery is read from its body alone: the forged fields change nothing.
func TestSignedSipSimUsesBodyAlone(t *testing.T) {
	e := startEnv(t, testConfig(t))
	captured := `{"event":"incoming_call_start","pbx_id":"cap-1","caller":"+375291112233","receiver":"100","time":"2026-11-23T10:00:00+03:00"}`
	sign := signedBy(signingSecret, captured)
	if code, body := e.post("/hooks/sipsim", captured, sign); code != 200 {
		t.Fatalf("the captured delivery: %d %s", code, body)
	}
	before := len(e.stored())
	for _, forged := range []string{
		"/hooks/sipsim?caller=%2B999000111&pbx_id=cap-2&event=incoming_call_answer&token=tok-sipsim",
		"/hooks/sipsim/incoming_call_end?caller=%2B999000111&pbx_id=cap-3",
		"/hooks/sipsim?receiver=666&audio_path=https%3A%2F%2Fevil.example%2Fx",
	} {
		code, body := e.post(forged, captured, sign)
		if code != 200 {
			t.Errorf("%s: %d %s (the replay is a retry: acknowledged, not logged again)", forged, code, body)
		}
	}
	evs := e.stored()
	if len(evs) != before {
		t.Fatalf("the forged replays logged %d new events: %+v", len(evs)-before, evs[before:])
	}
	last := evs[len(evs)-1]
	if last.From != "+375291112233" || last.Call != "sipsim:cap-1" || last.Type != call.CallOffered {
		t.Errorf("the logged event is %+v, want the captured caller and call", last)
	}
}
