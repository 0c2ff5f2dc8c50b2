package live

import (
	"time"

	"ringside/server/call"
	"ringside/server/ingest"
)

// Presence and queue membership.
//
// An agent belongs to a queue when the directory says so ([[agents]] queues), when one
// of their presence events names it (VOIPEX AgentLogin/Logout/Paused/UnPaused per queue,
// a Simotel NewState with a queue) or when a call of that queue rang at them. Their
// state in each queue (Agent.QueueStates) is, in order:
//
//   - on_call or ringing while they are on a call or one rings at them, unless an event
//     logged them out of that queue;
//   - what the latest presence event for that queue says: a login, logout, pause or
//     resume naming the queue, or one naming no queue (a device state such as
//     Simotel's Idle or Unavailable counts for every queue); a pause keeps its reason;
//   - available when the directory lists the queue and its source's PBX sends no
//     presence at all (SipSim, cloudcdr): the configuration says they are logged in;
//   - otherwise offline: nothing says they are there. A SipSim manager between calls
//     is offline, not available.
//
// The overall state is on_call or ringing when on a call, else available if available
// in any queue, else paused if paused in any, else offline; an agent in no queue takes
// the latest presence event naming no queue.

// sendsNoPresence says a vendor's PBX sends call events only: no login, pause or device
// state (its registration says so).
func sendsNoPresence(vendor string) bool {
	v, ok := ingest.Lookup(vendor)
	return ok && v.NoPresence
}

// silentSource says source's PBX sends no presence at all.
func (b *Board) silentSource(src string) bool { return sendsNoPresence(b.cfg.Vendors[src]) }

// silentAgent says none of an agent's identities ("source:ext") is on a PBX that sends
// presence.
func (b *Board) silentAgent(identities []string) bool {
	for _, id := range identities {
		if !b.silentSource(sourceOf(id)) {
			return false
		}
	}
	return len(identities) > 0
}

// presenceScope is the queue a presence event is about, "" for all the agent's queues.
// Device states are the phone's, whatever queue call they came with.
func presenceScope(e *call.Event) string {
	switch e.Type {
	case call.AgentLogin, call.AgentLogout, call.AgentPaused, call.AgentUnpaused:
		return e.Queue
	}
	return ""
}

// notePresence keeps e in s if it is the latest presence for its scope.
func (s *sigFacts) notePresence(e *call.Event) {
	if presenceState(e) == "" {
		return
	}
	if q := presenceScope(e); q != "" {
		if s.PerQueue == nil {
			s.PerQueue = map[string]*call.Event{}
		}
		if cur := s.PerQueue[q]; cur == nil || compareEvents(e, cur) > 0 {
			s.PerQueue[q] = e
		}
		return
	}
	if s.Presence == nil || compareEvents(e, s.Presence) > 0 {
		s.Presence = e
	}
}

// notePauseReason keeps e in s if it is the latest pause note for its queue.
func (s *sigFacts) notePauseReason(e *call.Event) {
	if e.Type != call.AgentPauseNote {
		return
	}
	if s.Notes == nil {
		s.Notes = map[string]*call.Event{}
	}
	if cur := s.Notes[e.Queue]; cur == nil || compareEvents(e, cur) > 0 {
		s.Notes[e.Queue] = e
	}
}

// presenceFacts are an agent's presence facts merged over its identity signatures.
type presenceFacts struct {
	global   *call.Event            // latest presence naming no queue
	perQueue map[string]*call.Event // latest presence naming each queue
	notes    map[string]*call.Event // latest pause note by queue ("" for all)
	member   map[string]bool        // queues the directory lists
}

// noteWindow is how far apart Ringside's pause request and the PBX's pause event may be
// for the event to take the request's reason (the PBX may confirm before the API call
// returns, or a little after).
const noteWindow = 2 * time.Minute

// pauseReason is the reason of a pause event: the PBX's own (VOIPEX PauseName), else the
// one Ringside sent with its request for this pause. A pause made on the phone, with no
// request near it, has none: Ringside does not invent one.
func pauseReason(p presenceFacts, pause *call.Event) string {
	if pause == nil || presenceState(pause) != call.StatePaused {
		return ""
	}
	if pause.PauseReason != "" {
		return pause.PauseReason
	}
	var best *call.Event
	for _, q := range []string{presenceScope(pause), ""} {
		n := p.notes[q]
		if n == nil || n.At.Sub(pause.At) > noteWindow || pause.At.Sub(n.At) > noteWindow {
			continue
		}
		best = later2(best, n)
	}
	if best == nil && presenceScope(pause) == "" {
		for _, n := range p.notes { // a device-wide pause answers a request for any queue
			if n.At.Sub(pause.At) <= noteWindow && pause.At.Sub(n.At) <= noteWindow {
				best = later2(best, n)
			}
		}
	}
	if best == nil {
		return ""
	}
	return best.PauseReason
}

func later2(a, b *call.Event) *call.Event {
	if a == nil || (b != nil && compareEvents(b, a) > 0) {
		return b
	}
	return a
}

// queueState is the agent's state in queue q, the event that says it (nil when the
// configuration or a call does) and whether an event logged the agent out there.
func (b *Board) queueState(p presenceFacts, q string, cur call.AgentStatus) (call.AgentStatus, *call.Event) {
	pres := later2(p.global, p.perQueue[q])
	loggedOut := pres != nil && presenceState(pres) == call.StateOffline
	switch {
	case cur != "" && !loggedOut:
		return cur, nil
	case pres != nil:
		return presenceState(pres), pres
	case p.member[q] && sendsNoPresence(b.cfg.Vendors[sourceOf(q)]):
		return call.StateAvailable, nil
	}
	return call.StateOffline, nil
}

// overallState derives the agent's state and the presence event behind it from its
// queue states (cur is on_call or ringing when on a call).
func overall(cur call.AgentStatus, states map[string]call.AgentStatus, events map[string]*call.Event, global *call.Event) (call.AgentStatus, *call.Event) {
	if cur != "" {
		return cur, nil
	}
	if len(states) == 0 {
		if global != nil {
			return presenceState(global), global
		}
		return call.StateOffline, nil
	}
	for _, want := range []call.AgentStatus{call.StateAvailable, call.StatePaused} {
		var ev *call.Event
		found := false
		for q, st := range states {
			if st == want {
				found = true
				ev = later2(ev, events[q])
			}
		}
		if found {
			return want, ev
		}
	}
	var ev *call.Event
	for _, e := range events {
		ev = later2(ev, e)
	}
	return call.StateOffline, ev
}

func sourceOf(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[:i]
		}
	}
	return ""
}

// sinceOf is when the shown state began: its event, or the end of the agent's last call
// when that came later (back from a call); nil when neither is known.
func sinceOf(ev *call.Event, lastEnd time.Time) *time.Time {
	t := time.Time{}
	if ev != nil {
		t = ev.At
	}
	if lastEnd.After(t) {
		t = lastEnd
	}
	return call.T(t)
}
