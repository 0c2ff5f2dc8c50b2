package live

import (
	"time"

	"ringside/server/call"
)

// legState is a leg while folding.
type legState struct {
	call.Leg
	open     bool // no end known yet
	stated   bool // its end was stated (LegEnded, a record), not inferred from a hangup or idle
	answered bool
	answerAt time.Time
	inferred bool // made by an answer or hangup without a ring: not an offer on outbound calls
}

type legs []*legState

func (ls legs) last(agent string) *legState {
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].Agent == agent {
			return ls[i]
		}
	}
	return nil
}

func (ls legs) nth(agent string, n int) *legState {
	for _, l := range ls {
		if l.Agent == agent {
			if n == 0 {
				return l
			}
			n--
		}
	}
	return nil
}

func (ls *legs) ring(agent string, t time.Time) {
	if l := ls.last(agent); l != nil && l.open {
		return // already ringing there: a repeat, not a new offer
	}
	ls.add(&legState{Leg: call.Leg{Agent: agent, StartedAt: call.T(t)}, open: true})
}

// xfer is a transfer and the leg it ended (of the agent it took the call from).
type xfer struct {
	call.Transfer
	leg *legState
}

func (ls legs) lastAnswered(agent string) *legState {
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].Agent == agent && ls[i].answered {
			return ls[i]
		}
	}
	return nil
}

func (ls *legs) answer(agent string, t time.Time) *legState {
	l := ls.last(agent)
	// A new leg unless this answers the agent's current offer (or one only a hangup,
	// misordered by clocks, closed). A call transferred back is a new answer.
	if l == nil || (!l.open && l.stated && !l.answered) ||
		(!l.open && l.answered && l.EndedAt != nil && t.After(*l.EndedAt)) {
		l = &legState{Leg: call.Leg{Agent: agent, StartedAt: call.T(t)}, open: true, inferred: true}
		if !ls.add(l) {
			return l // over maxLegs: answered, but not shown as a leg
		}
	}
	if !l.answered {
		l.answered, l.answerAt = true, t
	}
	l.Outcome = call.OutcomeAnswer
	return l
}

// end closes the agent's current leg. A stated end overrides an inferred one; create
// makes a closed leg when the agent has none (a hangup whose ring we never saw).
func (ls *legs) end(agent string, t time.Time, outcome call.Outcome, stated, create bool) {
	l := ls.last(agent)
	switch {
	case l != nil && (l.open || (stated && !l.stated)):
		l.open, l.stated, l.EndedAt = false, stated, call.T(t)
		if outcome != "" && !l.answered {
			l.Outcome = outcome
		}
	case l == nil && create:
		ls.add(&legState{Leg: call.Leg{Agent: agent, EndedAt: call.T(t), Outcome: outcome},
			stated: stated, inferred: !stated})
	}
}

// finishLegs closes what the call's end or answer closed, fills outcomes, sets Legs and
// Ringing, and returns each agent's part in the call.
func (b *Board) finishLegs(c *call.Call, ls legs, answered, ended bool, ansAt, endAt *time.Time, ansAtOf map[string]time.Time) parts {
	var inv parts
	var answerLeg *legState
	for _, l := range ls {
		if l.inferred && c.Direction == call.Outbound {
			continue // the agent placed this call; nobody offered it to them
		}
		leg := l.Leg
		// Other phones stop ringing when someone answers; rings that started later
		// (a transfer) still ring.
		cancelled := answered && !l.answered && (leg.StartedAt == nil || ansAt == nil || !leg.StartedAt.After(*ansAt))
		open := l.open && !ended && !cancelled
		if l.open && !open {
			if ended {
				leg.EndedAt = endAt
			} else {
				leg.EndedAt = ansAt
			}
		}
		if leg.Outcome == "" && !open {
			switch {
			case l.answered:
				leg.Outcome = call.OutcomeAnswer
			case answered && (leg.EndedAt == nil || ansAt == nil || !leg.EndedAt.Before(*ansAt)):
				leg.Outcome = call.OutcomeCancel
			default:
				leg.Outcome = call.OutcomeNoAnswer
			}
		}
		if l.answered && leg.TalkS == nil && !open && leg.EndedAt != nil && !l.answerAt.IsZero() {
			leg.TalkS = since(l.answerAt, *leg.EndedAt)
		}
		leg.Role = call.RoleAgent
		c.Legs = append(c.Legs, leg)

		p, ok := inv.get(leg.Agent)
		if !ok {
			p = involvement{queue: c.Queue}
		}
		switch {
		case open && !l.answered:
			if !contains(c.Ringing, leg.Agent) {
				c.Ringing = append(c.Ringing, leg.Agent)
			}
			if leg.StartedAt != nil && leg.StartedAt.After(p.ringing) {
				p.ringing = *leg.StartedAt
			}
		case !open && leg.EndedAt != nil && leg.EndedAt.After(p.end):
			p.end = *leg.EndedAt
		}
		inv.set(leg.Agent, p)
		if l.answered && leg.Agent == c.Agent {
			answerLeg = l
		}
	}
	if c.Agent != "" {
		p, ok := inv.get(c.Agent)
		if !ok {
			p = involvement{queue: c.Queue}
		}
		switch {
		case ended:
			if endAt != nil && endAt.After(p.end) {
				p.end = *endAt
			}
		case answerLeg == nil || answerLeg.open:
			p.onCall = ansAtOf[c.Agent]
			if answerLeg != nil {
				p.onCall = answerLeg.answerAt
			}
			if p.onCall.IsZero() && ansAt != nil {
				p.onCall = *ansAt
			}
		}
		inv.set(c.Agent, p)
	}
	return inv
}
