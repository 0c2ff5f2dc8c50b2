package report

import (
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
)

// CallFacts are an ended call's contributions: to its queue, in the bucket of its
// start (as the live board counts a call on the day it started), and to each agent
// it reached, in the bucket of that agent's offer.
func CallFacts(c *call.Call, rules live.Rules) []store.Fact {
	start := callStart(c)
	if start.IsZero() {
		return nil
	}
	var out []store.Fact
	if c.Queue != "" {
		out = append(out, store.Fact{Kind: KindQueue, ID: c.Queue, At: start, C: queueCounts(c, rules, start)})
	}
	return append(out, agentFacts(c, start)...)
}

func callStart(c *call.Call) time.Time {
	switch {
	case c.StartedAt != nil:
		return *c.StartedAt
	case c.EndedAt != nil:
		return *c.EndedAt
	}
	return time.Time{}
}

// agentFacts: each leg is an offer to its agent (a ring cancelled because the call was
// answered elsewhere is not); an answered leg adds its talk. An answering agent without
// a leg (a vendor that sends none) was offered the call and took it. An answered
// outbound call counts for the agent who placed it, with its talk (an unanswered one
// names no agent in its record, so it is not counted).
func agentFacts(c *call.Call, start time.Time) []store.Fact {
	byAgent := map[string]*store.Counts{}
	at := map[string]time.Time{}
	get := func(agent string, t *time.Time) *store.Counts {
		n := byAgent[agent]
		if n == nil {
			n = &store.Counts{Sum: make([]int64, aSlots)}
			byAgent[agent] = n
			at[agent] = start
			if t != nil {
				at[agent] = *t
			}
		}
		return n
	}
	outbound := c.Direction == call.Outbound
	answeredLeg := map[string]bool{}
	for _, l := range c.Legs {
		if l.Agent == "" || l.Outcome == call.OutcomeCancel || l.Outcome == "" || (outbound && l.Agent == c.Agent) {
			continue
		}
		n := get(l.Agent, l.StartedAt)
		n.Sum[aOffered]++
		if l.Outcome != call.OutcomeAnswer {
			n.Sum[aNotAnswered]++
			continue
		}
		n.Sum[aAnswered]++
		answeredLeg[l.Agent] = true
		if l.TalkS != nil {
			n.Sum[aTalkN]++
			n.Sum[aAnsTalkMs] += millis(*l.TalkS)
			n.Sum[aTalkMs] += millis(*l.TalkS)
		}
	}
	if a := c.Agent; a != "" && !answeredLeg[a] && c.Disposition == call.Answered {
		n := get(a, c.AnsweredAt)
		if outbound {
			n.Sum[aOutbound]++
		} else {
			n.Sum[aOffered]++
			n.Sum[aAnswered]++
		}
		if c.TalkS != nil {
			n.Sum[aTalkMs] += millis(*c.TalkS)
			if !outbound {
				n.Sum[aTalkN]++
				n.Sum[aAnsTalkMs] += millis(*c.TalkS)
			}
		}
	}
	out := make([]store.Fact, 0, len(byAgent))
	for a, n := range byAgent {
		out = append(out, store.Fact{Kind: KindAgent, ID: a, At: at[a], C: *n})
	}
	return out
}

// Presence states kept for reports.
const (
	presReady   = "ready"   // logged in and not paused (available, ringing or on a call)
	presPaused  = "paused"  // logged in, paused (Reason says why)
	presOffline = "offline" // logged out
)

// NoReason names pause time whose pause event gave no reason.
const NoReason = "unspecified"

// PresenceOf turns an agent event into a presence fact for agent (ok false: the event
// says nothing about presence). A login or anything saying the agent is reachable
// starts logged-in time; a logout ends it.
func PresenceOf(e call.Event, agent string) (store.Presence, bool) {
	p := store.Presence{Agent: agent, At: e.At, Seq: e.Seq}
	switch e.Type {
	case call.AgentLogin, call.AgentUnpaused:
		p.State = presReady
	case call.AgentLogout:
		p.State = presOffline
	case call.AgentPaused:
		p.State = presPaused
	case call.AgentState:
		switch e.AgentState {
		case call.StateAvailable, call.StateRinging, call.StateOnCall:
			p.State = presReady
		case call.StatePaused:
			p.State = presPaused
		case call.StateOffline:
			p.State = presOffline
		}
	}
	if p.State == presPaused {
		p.Reason = e.PauseReason
		if p.Reason == "" {
			p.Reason = NoReason
		}
	}
	return p, p.State != "" && agent != "" && !e.At.IsZero()
}

// intervalFacts are the agent's time in p's state over [p.At, end), split at bucket
// boundaries.
func intervalFacts(p store.Presence, end time.Time) []store.Fact {
	if p.State == presOffline || !end.After(p.At) {
		return nil
	}
	var out []store.Fact
	for t := p.At; t.Before(end); {
		next := store.BucketStart(t).Add(store.BucketWidth)
		if next.After(end) {
			next = end
		}
		out = append(out, store.Fact{Kind: KindAgent, ID: p.Agent, At: t, C: presenceCounts(p, next.Sub(t))})
		t = next
	}
	return out
}

func presenceCounts(p store.Presence, d time.Duration) store.Counts {
	n := store.Counts{Sum: make([]int64, aSlots)}
	n.Sum[aLoggedMs] = d.Milliseconds()
	if p.State == presPaused {
		n.Sum[aPausedMs] = d.Milliseconds()
		n.Named = map[string]int64{p.Reason: d.Milliseconds()}
	}
	return n
}

// Callback is a callback made: someone started calling back the caller of an abandoned
// call of Queue (empty: look it up in the call's record).
type Callback struct {
	Call, Queue string
	At          time.Time
}

// CallbackOf is the callback a "callback.taken" event says was made (queue: the
// abandoned call's, if known).
func CallbackOf(e call.Event, queue string) (Callback, bool) {
	return Callback{Call: e.Call, Queue: queue, At: e.At}, e.Type == call.CallbackTaken && e.Call != "" && !e.At.IsZero()
}

// facts count the callback once per abandoned call (taken again: the latest time), in
// the bucket of when it was made.
func (cb Callback) facts() []store.Fact {
	if cb.Queue == "" {
		return nil
	}
	n := store.Counts{Sum: make([]int64, qSlots)}
	n.Sum[qCallbacks] = 1
	return []store.Fact{{Kind: KindQueue, ID: cb.Queue, At: cb.At, C: n}}
}
