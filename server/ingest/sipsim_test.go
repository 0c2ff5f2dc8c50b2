package ingest

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
)

func sipsimSrc() Source { return fixtureSource("sipsim") }

// sipsimDecode posts fields as JSON through Decode.
func sipsimDecode(t *testing.T, fields map[string]any) (Result, error) {
	t.Helper()
	body, _ := json.Marshal(fields)
	return Decode(sipsimSrc(), Request{Method: "POST", ContentType: "application/json", Body: body, ReceivedAt: testReceived})
}

func sipsimEvent(t *testing.T, fields map[string]any) call.Event {
	t.Helper()
	res, err := sipsimDecode(t, fields)
	if err != nil {
		t.Fatal(err)
	}
	return res.Events[0]
}

// One event sent as a legacy GET, a legacy POST form ("102.0") and new JSON (102) decodes the same.
func TestSipSimTransportsAgree(t *testing.T) {
	v := url.Values{"event": {"incoming_call_end"}, "time": {"2020-04-06T05:28:15.174Z"}, "pbx_id": {"1557491089.930439"},
		"duration": {"102.0"}, "caller": {"+375290000000"}, "receiver": {"+375290000001"}, "status": {"answer"},
		"audio_path": {"https://vrecords.call-tracking.by/monitor/X"}}
	src := sipsimSrc()
	dec := func(req Request) Result {
		req.ReceivedAt = testReceived
		res, err := Decode(src, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want := dec(Request{Method: "POST", ContentType: "application/json", Body: []byte(
		`{"event":"incoming_call_end","time":"2020-04-06T05:28:15.174Z","pbx_id":"1557491089.930439","duration":102,` +
			`"caller":"+375290000000","receiver":"+375290000001","status":"ANSWER","audio_path":"https://vrecords.call-tracking.by/monitor/X"}`)})
	for name, got := range map[string]Result{
		"GET":  dec(Request{Method: "GET", Query: v}),
		"form": dec(Request{Method: "POST", ContentType: "application/x-www-form-urlencoded", Body: []byte(v.Encode())}),
	} {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
			}
		})
	}
	e := want.Events[0]
	if e.Type != call.CallEnded || e.Disposition != call.Answered || *e.DurationS != 102 || e.Queue != "sipsim:+375290000001" ||
		want.Key != "incoming_call_end:1557491089.930439:+375290000001" {
		t.Errorf("decoded %+v key %q", e, want.Key)
	}
}

// receiver is the department on start/end and the manager on chain and answer events.
func TestSipSimReceiverSemantics(t *testing.T) {
	base := func(ev string) map[string]any {
		return map[string]any{"event": ev, "pbx_id": "1", "caller": "+375290000000", "receiver": "+375170000000"}
	}
	for ev, want := range map[string]struct {
		typ          call.Type
		agent, queue string
	}{
		"incoming_call_start":                   {call.CallOffered, "", "sipsim:+375170000000"},
		"incoming_call_start_chain_member_call": {call.LegRinging, "sipsim:+375170000000", ""},
		"incoming_call_end_chain_member_call":   {call.LegEnded, "sipsim:+375170000000", ""},
		"INCOMING_CALL_ANSWER":                  {call.CallAnswered, "sipsim:+375170000000", ""},
		"incoming_call_end":                     {call.CallEnded, "", "sipsim:+375170000000"},
		"outgoing_call_start":                   {call.CallOffered, "sipsim:+375290000000", ""},
		"outgoing_call_answer":                  {call.CallAnswered, "sipsim:+375290000000", ""},
		"outgoing_call_end":                     {call.CallEnded, "sipsim:+375290000000", ""},
		"rating":                                {call.CallRated, "", ""},
		"voicemail":                             {call.VoicemailSaved, "", ""},
		"sms":                                   {call.Other, "", ""},
		"summary":                               {call.Other, "", ""},
		"test":                                  {call.Other, "", ""},
		"call_parked":                           {call.Unknown, "", ""},
	} {
		t.Run(ev, func(t *testing.T) {
			e := sipsimEvent(t, base(ev))
			if e.Type != want.typ || e.Agent != want.agent || e.Queue != want.queue || e.Call != "sipsim:1" || e.Name != ev {
				t.Errorf("%s: got type %s agent %q queue %q call %q name %q", ev, e.Type, e.Agent, e.Queue, e.Call, e.Name)
			}
			if e.Type == call.CallOffered && e.Direction == call.Inbound && (e.DID != "+375170000000" || e.To != "+375170000000") {
				t.Errorf("%s: DID %q To %q", ev, e.DID, e.To)
			}
		})
	}
}

func TestSipSimStatuses(t *testing.T) {
	for status, want := range map[string][2]string{ // leg outcome, call disposition
		"MISSED": {"noanswer", "missed"}, "missed": {"noanswer", "missed"}, "NOANSWER": {"noanswer", "missed"},
		"noanswer": {"noanswer", "missed"}, "Answer": {"answer", "answered"}, "BUSY": {"busy", "busy"},
		"cancel": {"cancel", "missed"}, "UNAVAILABLE": {"unavailable", "failed"}, "other": {"other", "failed"},
		"weird": {"other", "failed"}, "": {"", ""},
	} {
		t.Run(status, func(t *testing.T) {
			leg := sipsimEvent(t, map[string]any{"event": "incoming_call_end_chain_member_call", "pbx_id": "1", "receiver": "2", "status": status})
			end := sipsimEvent(t, map[string]any{"event": "incoming_call_end", "pbx_id": "1", "receiver": "2", "status": status})
			if string(leg.Outcome) != want[0] || string(end.Disposition) != want[1] {
				t.Errorf("status %q: outcome %q disposition %q, want %v", status, leg.Outcome, end.Disposition, want)
			}
		})
	}
}

func TestSipSimTimesAndEdges(t *testing.T) {
	at := func(s string) time.Time { return sipsimEvent(t, map[string]any{"event": "test", "time": s}).At }
	minsk := time.Date(2020, 4, 6, 5, 28, 15, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2020-04-06T05:28:15Z":      minsk,
		"2020-04-06T08:28:15+03:00": minsk,
		"2020-04-06T08:28:15+0300":  minsk,
		"2020-04-06 08:28:15":       minsk, // no zone: the source's Europe/Minsk
		"2020-04-06T08:28:15":       minsk,
		"yesterday":                 testReceived,
	} {
		t.Run(in, func(t *testing.T) {
			if got := at(in); !got.Equal(want) {
				t.Errorf("time %q → %v, want %v", in, got, want)
			}
		})
	}
	e := sipsimEvent(t, map[string]any{"event": "incoming_call_end", "pbx_id": "1", "duration": "102.0", "audio_path": nil})
	if *e.DurationS != 102 || e.Recordings != nil {
		t.Errorf("duration %v recordings %v", *e.DurationS, e.Recordings)
	}
	// "+" unencoded in a legacy query decodes as a space: restored.
	q, _ := url.ParseQuery("event=incoming_call_start&pbx_id=1&caller=+375290000000&receiver=+375170000000")
	res, err := Decode(sipsimSrc(), Request{Method: "GET", Query: q, ReceivedAt: testReceived})
	if err != nil || res.Events[0].From != "+375290000000" || res.Events[0].Queue != "sipsim:+375170000000" {
		t.Errorf("unencoded plus: %+v %v", res, err)
	}
	// The event name may come from the path (/hooks/sipsim/incoming_call_start).
	res, err = Decode(sipsimSrc(), Request{Method: "GET", Event: "incoming_call_start", Query: url.Values{"pbx_id": {"1"}}, ReceivedAt: testReceived})
	if err != nil || res.Events[0].Type != call.CallOffered {
		t.Errorf("event from path: %+v %v", res, err)
	}
	for name, fields := range map[string]map[string]any{
		"no event":    {"pbx_id": "1"},
		"empty event": {"event": "", "pbx_id": "1"},
		"call, no id": {"event": "outgoing_call_end"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sipsimDecode(t, fields); err == nil || !strings.Contains(err.Error(), "sipsim:") {
				t.Errorf("%s: err %v", name, err)
			}
		})
	}
	if res, err := sipsimDecode(t, map[string]any{"event": "test"}); err != nil || res.Key != "" {
		t.Errorf("test without pbx_id: key %q err %v (want no key: a content hash dedupes it)", res.Key, err)
	}
}
