package ingest

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
	"time"

	"ringside/server/call"
)

func cloudSrc() Source { return fixtureSource("cloud") }

// cloudDecode decodes one request through Decode, as the server does.
func cloudDecode(t *testing.T, req Request) call.Event {
	t.Helper()
	req.ReceivedAt = testReceived
	res, err := Decode(cloudSrc(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("want one event, got %d", len(res.Events))
	}
	return res.Events[0]
}

// The same CDR sent as JSON, as a GET query and as form data in both nesting styles
// must decode to the same event.
func TestCloudCDRTransportsAgree(t *testing.T) {
	kv := [][2]string{
		{"id", "abc-1"}, {"dir", "2"}, {"ans", "1"}, {"cliNum", "+447700900123"}, {"ddiNum", "+441610000000"},
		{"start", "2024-05-29T09:37:35+01:00"}, {"answer", "2024-05-29T09:37:47+01:00"}, {"end", "2024-05-29T09:41:02+01:00"},
		{"dur", "207"}, {"ring", "12"}, {"talk", "190"}, {"ansGroupName", "Support"},
		{"fRngAgtNum", "301"}, {"lRngAgtNum", "302"}, {"ansAgtNum", "302"}, {"ansAgtName", "Bob Jones"},
	}
	brackets, dots := url.Values{}, url.Values{}
	obj := map[string]any{}
	for _, p := range kv {
		brackets.Set("cdr["+p[0]+"]", p[1])
		dots.Set("cdr."+p[0], p[1])
		obj[p[0]] = p[1]
	}
	brackets.Add("cdr[recordingIds][]", "r1")
	brackets.Add("cdr[recordingIds][]", "r2")
	brackets.Set("cdr[directoryMatches][0][fields][fullName]", "Jane Example")
	brackets.Set("cdr[tags][Support]", "step1")
	dots.Set("cdr.recordingIds.0", "r1")
	dots.Set("cdr.recordingIds.1", "r2")
	dots.Set("cdr.directoryMatches.0.fields.fullName", "Jane Example")
	dots.Set("cdr.tags.Support", "step1")
	obj["recordingIds"] = []string{"r1", "r2"}
	obj["directoryMatches"] = []any{map[string]any{"fields": map[string]any{"fullName": "Jane Example"}}}
	obj["tags"] = map[string]string{"Support": "step1"}
	body, _ := json.Marshal(map[string]any{"cdr": obj})

	want := cloudDecode(t, Request{Method: "POST", ContentType: "application/json", Body: body})
	for name, req := range map[string]Request{
		"GET brackets":  {Method: "GET", Query: brackets},
		"GET dots":      {Method: "GET", Query: dots},
		"POST brackets": {Method: "POST", ContentType: "application/x-www-form-urlencoded", Body: []byte(brackets.Encode())},
		"PUT dots":      {Method: "PUT", ContentType: "application/x-www-form-urlencoded", Body: []byte(dots.Encode())},
	} {
		t.Run(name, func(t *testing.T) {
			if got := cloudDecode(t, req); !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
			}
		})
	}
	if want.Agent != "cloud:302" || want.Queue != "cloud:Support" || want.Disposition != call.Answered ||
		want.Contact == nil || want.Contact.Name != "Jane Example" || want.Tags["Support"] != "step1" ||
		!reflect.DeepEqual(want.Recordings, []string{"r1", "r2"}) || len(want.Legs) != 2 {
		t.Errorf("JSON decoded wrong: %+v", want)
	}
}

func TestCloudCDRMappings(t *testing.T) {
	dec := func(cdr string) call.Event {
		return cloudDecode(t, Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"cdr":{"id":"x",` + cdr + `}}`)})
	}
	for _, tc := range []struct {
		cdr   string
		check func(call.Event) bool
	}{
		{`"dir":1`, func(e call.Event) bool { return e.Direction == call.Internal }},
		{`"dir":3,"ddiNum":"+1"`, func(e call.Event) bool { return e.Direction == call.Outbound && e.To == "+1" && e.DID == "" }},
		{`"dir":4`, func(e call.Event) bool { return e.Direction == "" }},
		{`"ans":0,"answer":"2024-05-29T09:00:00Z"`, func(e call.Event) bool { return e.Disposition == call.Missed }},
		{`"answer":"2024-05-29T09:00:00Z"`, func(e call.Event) bool { return e.Disposition == call.Answered }},
		{`"lost":1,"aban":1,"short":1`, func(e call.Event) bool { return e.Disposition == call.Missed }},
		// \u002B arrived escaped twice; a JSON number keeps its digits.
		{`"cliNum":"\\u002B4470","ddiNum":441610000000`, func(e call.Event) bool { return e.From == "+4470" && e.To == "441610000000" }},
		// first == last ringing: one leg; the answering agent (not among them) gets its own.
		{`"fRngAgtNum":"1","lRngAgtNum":"1","ansAgtNum":"2"`, func(e call.Event) bool {
			return len(e.Legs) == 2 && e.Legs[0] == call.Leg{Agent: "cloud:1", Outcome: "noanswer"} && e.Legs[1] == call.Leg{Agent: "cloud:2", Outcome: "answer"}
		}},
		// the ringing user is recognized as the answering agent through the shared user number.
		{`"fRngUsrNum":"7","ansAgtNum":"a7","ansUsrNum":"7"`, func(e call.Event) bool {
			return len(e.Legs) == 1 && e.Legs[0] == call.Leg{Agent: "cloud:7", Outcome: "answer"} && e.Agent == "cloud:a7"
		}},
		{`"fRngGroupName":"A","lRngGroupName":"B","ansGroupName":"C"`, func(e call.Event) bool { return e.Queue == "cloud:C" }},
		{`"fRngGroupName":"A","lRngGroupName":"B"`, func(e call.Event) bool { return e.Queue == "cloud:B" }},
		{`"recordingIds":"r9"`, func(e call.Event) bool { return reflect.DeepEqual(e.Recordings, []string{"r9"}) }},
		{`"ansDevNum":"user_1","ansDevName":"Desk"`, func(e call.Event) bool { return e.Agent == "cloud:user_1" && e.AgentName == "Desk" }},
		{`"tags":[{"key":"Support","value":"step1"},{"name":"Tier","value":"2"}]`, func(e call.Event) bool {
			return reflect.DeepEqual(e.Tags, map[string]string{"Support": "step1", "Tier": "2"})
		}},
		{`"tags":{},"recordingIds":[],"directoryMatches":[]`, func(e call.Event) bool {
			return e.Tags == nil && e.Recordings == nil && e.Contact == nil
		}},
		{`"dType":"CloudSessionCdrV2","end":"2024-05-29T10:00:00+02:00"`, func(e call.Event) bool {
			return e.Name == "CloudSessionCdrV2" && e.At.Equal(time.Date(2024, 5, 29, 8, 0, 0, 0, time.UTC))
		}},
		{`"start":"bad"`, func(e call.Event) bool {
			return e.StartedAt == nil && e.At.Equal(testReceived) && e.Name == "CloudSessionCdr"
		}},
	} {
		t.Run(tc.cdr, func(t *testing.T) {
			if e := dec(tc.cdr); !tc.check(e) {
				t.Errorf("%s: decoded %+v", tc.cdr, e)
			}
		})
	}
}

func TestCloudPhone(t *testing.T) {
	for in, want := range map[string]string{
		" 447700900123":   "+447700900123", // "+" sent unencoded in a query
		`\u002B4470`:      "+4470",
		"+4470":           "+4470",
		"447700900123":    "447700900123",
		" 44 77":          " 44 77", // not just digits: left alone
		"user_abc":        "user_abc",
		"":                "",
		" ":               " ",
		`\u002b441610000`: "+441610000",
	} {
		t.Run(in, func(t *testing.T) {
			if got := cloudPhone(in); got != want {
				t.Errorf("cloudPhone(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
