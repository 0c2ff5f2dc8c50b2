package live

import (
	"time"

	"ringside/server/call"
)

// Monitoring. A supervisor listening in, whispering or barging into a call (events with
// Role monitor) has a leg of their own on the call: it shows who monitored it and when,
// and changes nothing else. It is never offered (no screen-pop, nobody "ringing"), never
// the call's agent, does not end the call when it hangs up, and does not make the
// supervisor busy: they watch from the wallboard, and their own calls still reach them.

// monitor folds one monitoring event into the supervisor's legs.
func (ls *legs) monitor(agent string, e *call.Event) {
	if agent == "" {
		return
	}
	switch e.Type {
	case call.CallOffered, call.LegRinging:
		ls.ring(agent, at(e.StartedAt, e.At))
	case call.CallAnswered:
		ls.answer(agent, at(e.AnsweredAt, e.At))
	case call.LegEnded, call.CallEnded, call.CallRecord, call.CallExpired:
		ls.end(agent, at(e.EndedAt, e.At), e.Outcome, true, true)
	}
}

// finishMonitors appends the monitoring legs: those still open end with the call.
func finishMonitors(c *call.Call, ls legs, ended bool, endAt *time.Time) {
	for _, l := range ls {
		leg := l.Leg
		leg.Role = call.RoleMonitor
		if l.open && ended {
			leg.EndedAt = endAt
		}
		if !l.open || ended {
			if l.answered {
				leg.Outcome = call.OutcomeAnswer
				if leg.TalkS == nil && leg.EndedAt != nil {
					leg.TalkS = since(l.answerAt, *leg.EndedAt)
				}
			} else if leg.Outcome == "" {
				leg.Outcome = call.OutcomeCancel
			}
		}
		c.Legs = append(c.Legs, leg)
	}
}

// MonitoredBy lists who monitored (or is monitoring) a call, in order, once each.
func MonitoredBy(c call.Call) []string {
	var out []string
	for _, l := range c.Legs {
		if l.Role == call.RoleMonitor && !contains(out, l.Agent) {
			out = append(out, l.Agent)
		}
	}
	return out
}
