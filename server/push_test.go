package server

import (
	"fmt"
	"strings"
	"testing"

	"ringside/server/call"
	"ringside/server/live"
)

// TestRouteChanges pins which fragments each kind of change puts on which topic, in order.
// Each publication is written "topic key fragment(id)"; "!" marks one sent at once.
func TestRoute(t *testing.T) {
	ringing := call.Call{ID: "c1", State: call.StateRinging, Ringing: []string{"petr"}, Legs: []call.Leg{{Agent: "mia"}, {Agent: ""}}}
	ended := call.Call{ID: "c2", State: call.StateEnded, Agent: "petr", Legs: []call.Leg{{Agent: "petr"}}}
	unanswered := call.Call{ID: "c3", State: call.StateEnded}
	agents := []call.Agent{
		{ID: "ana", Queues: []string{"q1"}},
		{ID: "bob", Queues: []string{"q2"}},
		{ID: "cyd"},
	}
	facts := boardFacts{
		calls:  map[string]call.Call{"c1": ringing, "c2": ended, "c3": unanswered},
		agents: agents,
		voicemails: map[string]call.Voicemail{
			"v1": {ID: "v1", Call: "c2", Queue: "q1", Agents: []string{"cyd"}},
			"v2": {ID: "v2", Queue: "q2"},
		},
	}
	tests := []struct {
		name    string
		changes []live.Change
		want    []string
	}{
		{"a call rings: pop at once there, update the others it concerns",
			[]live.Change{{Kind: live.KindCall, ID: "c1", Ring: "petr"}},
			[]string{"wallboard call:c1 callRow(c1)", "call:c1 card callCard(c1)", "agent:petr ! popCard(c1*)", "agent:mia pop:c1 popUpdate(c1)"}},
		{"a call changes without ringing anyone new",
			[]live.Change{{Kind: live.KindCall, ID: "c1"}},
			[]string{"wallboard call:c1 callRow(c1)", "call:c1 card callCard(c1)", "agent:mia pop:c1 popUpdate(c1)", "agent:petr pop:c1 popUpdate(c1)"}},
		{"an answered call ends: its record, the agent's recent calls, the chart",
			[]live.Change{{Kind: live.KindCall, ID: "c2", Ended: true}},
			[]string{"wallboard call:c2 callRow(c2)", "call:c2 card callCard(c2)", "agent:petr pop:c2 popUpdate(c2)",
				"cdrs cdr:c2 cdrRow(c2*)", "agent:petr recent:c2 recentRow(c2*)", "wallboard chart chart()"}},
		{"an unanswered call ends: no agent's recent calls",
			[]live.Change{{Kind: live.KindCall, ID: "c3", Ended: true}},
			[]string{"wallboard call:c3 callRow(c3)", "call:c3 card callCard(c3)", "cdrs cdr:c3 cdrRow(c3*)", "wallboard chart chart()"}},
		{"a call the board no longer has: nothing",
			[]live.Change{{Kind: live.KindCall, ID: "gone", Ring: "petr"}},
			nil},
		{"an agent: their row, their page, then the summary",
			[]live.Change{{Kind: live.KindAgent, ID: "ana"}},
			[]string{"wallboard agent:ana agentRow(ana)", "agent:ana callbacks agentCallbacks(ana)",
				"agent:ana voicemails agentVoicemails(ana)", "agent:ana me agentMe(ana)", "wallboard summary summary()"}},
		{"two queues: two tiles, one summary after both",
			[]live.Change{{Kind: live.KindQueue, ID: "q1"}, {Kind: live.KindQueue, ID: "q2"}},
			[]string{"wallboard queue:q1 queueTile(q1)", "wallboard queue:q2 queueTile(q2)", "wallboard summary summary()"}},
		{"callback changes: merged, the list, then the agents of their queues or offered their calls",
			[]live.Change{
				{Kind: live.KindCallback, ID: "n1", Audience: &live.Audience{Queues: []string{"q1"}}},
				{Kind: live.KindCallback, ID: "n2", Audience: &live.Audience{Agents: []string{"cyd"}}},
			},
			[]string{"callbacks list callbackList()", "agent:ana callbacks agentCallbacks(ana)", "agent:cyd callbacks agentCallbacks(cyd)"}},
		{"a voicemail left on a call: its card and the agents it is for",
			[]live.Change{{Kind: live.KindVoicemail, ID: "v1"}},
			[]string{"call:c2 card callCard(c2)", "agent:ana voicemails agentVoicemails(ana)", "agent:cyd voicemails agentVoicemails(cyd)"}},
		{"a voicemail on no known call: only its queue's agents",
			[]live.Change{{Kind: live.KindVoicemail, ID: "v2"}},
			[]string{"agent:bob voicemails agentVoicemails(bob)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range routeChanges(tc.changes, facts) {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("route =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// The call a screen-pop or a record row shows is the one the change left, not a later one.
func TestRouteCarriesTheCallAsChanged(t *testing.T) {
	c := call.Call{ID: "c1", State: call.StateEnded, Agent: "petr", From: "0912"}
	pubs := routeChanges([]live.Change{{Kind: live.KindCall, ID: "c1", Ring: "petr", Ended: true}}, boardFacts{calls: map[string]call.Call{"c1": c}})
	n := 0
	for _, p := range pubs {
		if p.render.call != nil {
			n++
			if p.render.call.From != "0912" || p.render.call.ID != "c1" {
				t.Errorf("%s carries %+v", p, *p.render.call)
			}
		}
	}
	if n != 3 { // pop, record row, recent row
		t.Fatalf("%d publications carry the call, want 3", n)
	}
}

func (p publication) String() string {
	key := p.key
	if p.now {
		key = "!"
	}
	c := ""
	if p.render.call != nil {
		c = "*"
	}
	return fmt.Sprintf("%s %s %s(%s%s)", p.topic, key, fragNames[p.render.kind], p.render.id, c)
}

var fragNames = map[fragKind]string{
	fragCallRow: "callRow", fragCallCard: "callCard", fragPopCard: "popCard", fragPopUpdate: "popUpdate",
	fragCDRRow: "cdrRow", fragRecentRow: "recentRow", fragChart: "chart", fragAgentRow: "agentRow",
	fragAgentMe: "agentMe", fragAgentCallbacks: "agentCallbacks", fragAgentVoicemails: "agentVoicemails",
	fragQueueTile: "queueTile", fragSummary: "summary", fragCallbackList: "callbackList",
}
