package ingest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
)

// decodedWant lists the facts a table case checks; empty fields are not checked.
type decodedWant struct {
	Name, Type, Call, Agent, Queue, From, To, DID string
	Direction                                     call.Direction
	AgentState                                    call.AgentStatus
	Disposition                                   call.Disposition
	Outcome                                       call.Outcome
	LegAgents                                     []string
	Key                                           string
	NoKey                                         bool // Result.Key must be empty
}

func checkDecodedWant(t *testing.T, res Result, w decodedWant) {
	t.Helper()
	if len(res.Events) != 1 {
		t.Fatalf("got %d events, want 1", len(res.Events))
	}
	e := res.Events[0]
	for _, c := range []struct{ field, got, want string }{
		{"Name", e.Name, w.Name}, {"Type", string(e.Type), w.Type}, {"Call", e.Call, w.Call},
		{"Agent", e.Agent, w.Agent}, {"Queue", e.Queue, w.Queue}, {"From", e.From, w.From},
		{"To", e.To, w.To}, {"DID", e.DID, w.DID}, {"Direction", string(e.Direction), string(w.Direction)}, {"AgentState", string(e.AgentState), string(w.AgentState)},
		{"Disposition", string(e.Disposition), string(w.Disposition)}, {"Outcome", string(e.Outcome), string(w.Outcome)}, {"Key", res.Key, w.Key},
	} {
		if c.want != "" && c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if w.NoKey && res.Key != "" {
		t.Errorf("Key = %q, want none", res.Key)
	}
	if w.LegAgents != nil {
		var got []string
		for _, l := range e.Legs {
			got = append(got, l.Agent)
		}
		if strings.Join(got, ",") != strings.Join(w.LegAgents, ",") {
			t.Errorf("leg agents = %v, want %v", got, w.LegAgents)
		}
	}
}

func simotelForm(kv ...string) []byte {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return []byte(v.Encode())
}

func TestSimotelMappings(t *testing.T) {
	src := fixtureSource("pbx1")
	const ct = "application/x-www-form-urlencoded"
	cases := []struct {
		name string
		req  Request
		want decodedWant
	}{
		{"api_data nesting, arrays included",
			Request{Method: "POST", ContentType: ct, Body: simotelForm("api_data[event_name]", "CdrQueue", "api_data[unique_id]", "1.2",
				"api_data[disposition]", "ANSWERED", "api_data[dst]", "993",
				"api_data[detail][0][dst]", "991", "api_data[detail][0][disposition]", "NO ANSWER",
				"api_data[detail][1][dst]", "993", "api_data[detail][1][disposition]", "ANSWERED")},
			decodedWant{Name: "CdrQueue", Type: string(call.CallRecord), Call: "pbx1:1.2", Agent: "pbx1:993", Key: "cdrqueue:1.2::",
				LegAgents: []string{"pbx1:991", "pbx1:993"}}},
		{"top-level field wins over api_data",
			Request{Method: "POST", ContentType: ct, Body: simotelForm("event_name", "NewState", "exten", "991", "api_data[exten]", "555", "state", "Idle")},
			decodedWant{Agent: "pbx1:991", AgentState: call.StateAvailable, Type: string(call.AgentState)}},
		{"Rest path lowercase takes event_name's spelling",
			Request{Method: "GET", Event: "newstate", Query: url.Values{"event_name": {"NewState"}, "exten": {"991"}, "state": {"PAUSE"}}},
			decodedWant{Name: "NewState", Type: string(call.AgentPaused), AgentState: call.StatePaused}},
		{"Rest path alone names the event, any case",
			Request{Method: "POST", Event: "cDrQuEuE", ContentType: "application/json", Body: []byte(`{"unique_id":"7.1","disposition":"no_answer","hangup":"caller"}`)},
			decodedWant{Name: "cDrQuEuE", Type: string(call.CallRecord), Disposition: call.Missed, Key: "cdrqueue:7.1::"}},
		{"Rest path wins over a different event_name",
			Request{Method: "GET", Event: "Cdr", Query: url.Values{"event_name": {"NewState"}, "unique_id": {"1.1"}}},
			decodedWant{Name: "Cdr", Type: string(call.CallRecord), Key: "cdr:1.1"}},
		{"Survey named by event",
			Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"event":"survey","unique_id":"1.3","label":"good","queue":"902"}`)},
			decodedWant{Name: "survey", Type: string(call.CallRated), Call: "pbx1:1.3", Queue: "pbx1:902"}},
		{"AutoDialerReport known by campaign_id",
			Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"campaign_id":"63e2","number":"0915","disposition":"Busy"}`)},
			decodedWant{Name: "AutoDialerReport", Type: string(call.Other), To: "0915", Disposition: call.Busy}},
		{"Cdr disposition with underscore, type in caps",
			Request{Method: "GET", Query: url.Values{"event_name": {"cdr"}, "unique_id": {"1.4"}, "disposition": {"NO_ANSWER"}, "type": {"FEATURE"}}},
			decodedWant{Type: string(call.CallRecord), Disposition: call.Missed, Direction: call.Internal}},
		{"Cdr FAILED",
			Request{Method: "GET", Query: url.Values{"event_name": {"Cdr"}, "disposition": {"failed"}, "type": {"outgoing"}}},
			decodedWant{Type: string(call.CallRecord), Disposition: call.Failed, Direction: call.Outbound, NoKey: true}},
		{"NewState Ringing without a call is a state only",
			Request{Method: "GET", Query: url.Values{"event_name": {"NewState"}, "exten": {"991"}, "state": {"RINGING"}}},
			decodedWant{Type: string(call.AgentState), AgentState: simotelRinging}},
		{"NewState InUse with call answers it",
			Request{Method: "GET", Query: url.Values{"event_name": {"NewState"}, "exten": {"991"}, "state": {"inuse"}, "cuid": {"1.5"}, "direction": {"in"}, "participant": {"0912"}}},
			decodedWant{Type: string(call.CallAnswered), Call: "pbx1:1.5", From: "0912", Agent: "pbx1:991", Direction: call.Inbound}},
		{"leading zeros outside strings become text, inside strings stay",
			Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"event_name":"IncomingCall","number": 0093311,"entry_point":"x 0123 \" 01","unique_id":"1.6","n":[0,01,-012,0.5]}`)},
			decodedWant{Type: string(call.CallOffered), From: "0093311", DID: `x 0123 " 01`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.ReceivedAt = testReceived
			res, err := decodeSimotel(src, c.req)
			if err != nil {
				t.Fatal(err)
			}
			checkDecodedWant(t, res, c.want)
		})
	}
}

func TestSimotelCdrTimes(t *testing.T) {
	src := fixtureSource("pbx1")
	res, err := decodeSimotel(src, Request{Method: "GET", Query: url.Values{
		"event_name": {"Cdr"}, "unique_id": {"1.7"}, "disposition": {"ANSWERED"},
		"start_time": {"2021-01-16 06:30:00.5"}, "end_time": {"2021-01-16 06:31:40.5"}, "wait": {"12"}, "billsec": {"88"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Events[0]
	tehran := src.Location
	start := time.Date(2021, 1, 16, 6, 30, 0, 500e6, tehran)
	if e.StartedAt == nil || !e.StartedAt.Equal(start) {
		t.Errorf("StartedAt = %v, want %v", e.StartedAt, start)
	}
	if e.AnsweredAt == nil || !e.AnsweredAt.Equal(start.Add(12*time.Second)) {
		t.Errorf("AnsweredAt = %v, want start+wait", e.AnsweredAt)
	}
	if !e.At.Equal(start.Add(100 * time.Second)) {
		t.Errorf("At = %v, want the end time", e.At)
	}
}
