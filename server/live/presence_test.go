package live

import (
	"reflect"
	"testing"

	"ringside/server/call"
)

// VOIPEX: Petr logs into NOC and Sales, logs out of NOC, pauses in Sales ("Oběd").
func TestPresencePerQueue(t *testing.T) {
	s := newScenario("voipex_per_queue", "ipex", "voipex")
	petr := agent("petr.novak", "444")
	s.ev(0, call.AgentLogin, "", name("AgentLogin"), queue("NOC"), petr)
	s.ev(1, call.AgentLogin, "", name("AgentLogin"), queue("Sales"), petr)
	b := New(testConfig())
	for _, e := range s.events {
		b.Apply(e)
	}
	check := func(step string, state call.AgentStatus, qs map[string]call.AgentStatus, reason string) {
		t.Helper()
		a := agentOf(t, b, "petr")
		if a.State != state || !reflect.DeepEqual(a.QueueStates, qs) || a.PauseReason != reason {
			t.Errorf("%s: petr = %s %v %q, want %s %v %q", step, a.State, a.QueueStates, a.PauseReason, state, qs, reason)
		}
	}
	check("logged in twice", call.StateAvailable, map[string]call.AgentStatus{"ipex:NOC": "available", "ipex:Sales": "available"}, "")
	b.Apply(s.ev(60, call.AgentLogout, "", name("AgentLogout"), queue("NOC"), petr).events[2])
	check("out of NOC", call.StateAvailable, map[string]call.AgentStatus{"ipex:NOC": "offline", "ipex:Sales": "available"}, "")
	if q := queueOf(t, b, "ipex:Sales"); q.Agents[call.StateAvailable] != 1 {
		t.Errorf("Sales = %+v", q.Agents)
	}
	if q := queueOf(t, b, "ipex:NOC"); q.Agents[call.StateAvailable] != 0 || q.Agents[call.StatePaused] != 0 {
		t.Errorf("NOC = %+v", q.Agents)
	}
	b.Apply(s.ev(120, call.AgentPaused, "", name("AgentPaused"), queue("Sales"), petr, pause("Oběd")).events[3])
	check("paused in Sales", call.StatePaused, map[string]call.AgentStatus{"ipex:NOC": "offline", "ipex:Sales": "paused"}, "Oběd")
	if a := agentOf(t, b, "petr"); !tval(a.StateSince).Equal(sec(120)) {
		t.Errorf("paused since %v, want the pause", a.StateSince)
	}
	// A Sales call while logged out of NOC: on call in Sales only.
	b.Apply(s.ev(200, call.CallOffered, "c1", name("NewCall"), dir(call.Inbound), queue("Sales")).events[4])
	b.Apply(s.ev(201, call.CallAnswered, "c1", name("Answered"), queue("Sales"), petr).events[5])
	check("on a Sales call", call.StateOnCall, map[string]call.AgentStatus{"ipex:NOC": "offline", "ipex:Sales": "on_call"}, "")
}

// The directory's queues: a Simotel agent is a member of 902 before any call; the
// device state (Idle, no queue) makes them available there. A member with no event
// at all is offline (Simotel sends presence: its silence says nothing). A SipSim
// manager listed in a department is available there between calls: SipSim sends no
// presence, so the configuration is what says they are logged in.
func TestDirectoryMembership(t *testing.T) {
	cfg := testConfig()
	cfg.Directory = []DirectoryEntry{
		{ID: "petr", Name: "Petr", Match: []string{"pbx1:991"}, Queues: []string{"pbx1:902"}},
		{ID: "jana", Name: "Jana", Match: []string{"pbx1:992"}, Queues: []string{"pbx1:902"}},
		{ID: "olga", Name: "Olga", Match: []string{"sipsim:+375290000001"}, Queues: []string{"sipsim:+375172000000"}},
	}
	cfg.Vendors = map[string]string{"pbx1": "simotel", "sipsim": "sipsim"}
	b := New(cfg)
	if q := queueOf(t, b, "pbx1:902"); q.Agents[call.StateAvailable] != 0 {
		t.Errorf("902 before any event = %+v", q.Agents)
	}
	if q := queueOf(t, b, "sipsim:+375172000000"); q.Agents[call.StateAvailable] != 1 {
		t.Errorf("SipSim department = %+v", q.Agents)
	}
	s := newScenario("fresh_day", "pbx1", "simotel")
	b.Apply(s.ev(0, call.AgentState, "", name("NewState"), agent("991"), state(call.StateAvailable)).events[0])
	if a := agentOf(t, b, "petr"); a.State != call.StateAvailable || a.QueueStates["pbx1:902"] != call.StateAvailable {
		t.Errorf("petr = %+v", a)
	}
	if a := agentOf(t, b, "jana"); a.State != call.StateOffline || a.QueueStates["pbx1:902"] != call.StateOffline {
		t.Errorf("jana = %+v", a)
	}
	if q := queueOf(t, b, "pbx1:902"); q.Agents[call.StateAvailable] != 1 {
		t.Errorf("902 = %+v", q.Agents)
	}
}
