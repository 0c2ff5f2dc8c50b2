package ingest

import (
	"testing"

	"ringside/server/call"
)

func TestVoipexMappings(t *testing.T) {
	srcs := map[string]Source{"ipex": fixtureSource("ipex"), "ipexr": fixtureSource("ipexr")}
	swapped := srcs["ipex"]
	swapped.KeyMap = map[string]string{"FROM": "to", "to": "From", "Ext": "line"}
	cases := []struct {
		name string
		src  Source
		body string
		want decodedWant
	}{
		{"KeyMap renames, keys compared case-insensitively", srcs["ipexr"],
			`{"UDALOST":"Answered","volajici":"777","VoLaNy":"222","hovor":"9.1","Login":"petr"}`,
			decodedWant{Name: "Answered", Type: string(call.CallAnswered), From: "777", To: "222", Call: "ipexr:9.1", Agent: "ipexr:petr"}},
		{"KeyMap leaves default keys it does not rename", srcs["ipexr"],
			`{"Udalost":"CDR","Hovor":"9.2","Direction":"Incoming","Volany":"222"}`,
			decodedWant{Type: string(call.CallRecord), Call: "ipexr:9.2", Key: "cdr:9.2", Direction: call.Inbound, DID: "222"}},
		{"KeyMap swaps read the original keys", swapped,
			`{"EventName":"NewCall","From":"111","To":"222","Ext":"20","Direction":"outgoingLocal"}`,
			decodedWant{From: "222", To: "111", Agent: "ipex:20", Direction: call.Internal}},
		{"no KeyMap: renamed keys mean nothing", srcs["ipex"],
			`{"Udalost":"Ringing","EventName":"Ringing","Volajici":"777"}`,
			decodedWant{Type: string(call.LegRinging)}},
		{"Hangup reason compared case-insensitively", srcs["ipex"],
			`{"EventName":"HANGUP","UniqueId":"9.3","Login":"jana","Reason":"answered ELSEWHERE"}`,
			decodedWant{Type: string(call.LegEnded), Outcome: call.OutcomeCancel, Agent: "ipex:jana"}},
		{"missed call", srcs["ipex"],
			`{"EventName":"Hangup","UniqueId":"9.4","Reason":"no user response","Direction":"INCOMING"}`,
			decodedWant{Type: string(call.CallEnded), Disposition: call.Missed, Direction: call.Inbound}},
		{"identity falls back to Line, then Email", srcs["ipex"],
			`{"EventName":"AgentLogin","Line":"163","Email":"a@b.cz"}`,
			decodedWant{Type: string(call.AgentLogin), Agent: "ipex:163"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := decodeVoipex(c.src, Request{Method: "POST", ContentType: "application/json", Body: []byte(c.body), ReceivedAt: testReceived})
			if err != nil {
				t.Fatal(err)
			}
			checkDecodedWant(t, res, c.want)
		})
	}
}

func TestVoipexAliases(t *testing.T) {
	res, err := decodeVoipex(fixtureSource("ipex"), Request{Method: "POST", ContentType: "application/json",
		Body: []byte(`{"EventName":"AgentPaused","Login":"janecek","Line":"163","Email":"x@y.cz","PauseName":"Oběd"}`)})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Events[0]
	if e.Agent != "ipex:janecek" || len(e.AgentAliases) != 2 || e.AgentAliases[0] != "ipex:163" || e.AgentAliases[1] != "ipex:x@y.cz" {
		t.Errorf("agent %q aliases %v", e.Agent, e.AgentAliases)
	}
	if e.PauseReason != "Oběd" || res.Key != "" {
		t.Errorf("pause reason %q key %q", e.PauseReason, res.Key)
	}
}
