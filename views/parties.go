package views

import (
	"strings"
	"time"

	"ringside/server/call"
)

// Who took part in a call, by name: agents' legs, the supervisors who monitored it and
// the parties of its transfers.

// agentLegs are the legs of people handling the call (monitoring legs left out).
func agentLegs(c call.Call) []call.Leg {
	out := make([]call.Leg, 0, len(c.Legs))
	for _, l := range c.Legs {
		if l.Role != call.RoleMonitor {
			out = append(out, l)
		}
	}
	return out
}

// legName is the person of a leg: the directory's name, else the name the vendor gave
// with the leg, else what the board knows the identity as. Directory ids are plain
// ("petr"); an identity the directory does not know is "source:identity".
func legName(l call.Leg, names Names) string {
	if l.Name != "" && strings.Contains(l.Agent, ":") {
		return l.Name
	}
	return names.Of(l.Agent)
}

// monitoredBy names who monitored (listened in, whispered or barged into) the call.
func monitoredBy(c call.Call, names Names) string {
	var out []string
	for _, l := range c.Legs {
		if l.Role != call.RoleMonitor {
			continue
		}
		n := legName(l, names)
		if !contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// transferParty is a transfer's party by name when it is a known agent, else as the
// vendor named it (an extension or a number).
func transferParty(c call.Call, agent, raw string, names Names) string {
	if agent == "" {
		return raw
	}
	for _, l := range c.Legs {
		if l.Agent == agent {
			return legName(l, names)
		}
	}
	return names.Of(agent)
}

// transferAt is when a transfer happened, nil when the vendor did not say.
func transferAt(t call.Transfer) *time.Time {
	if t.At.IsZero() {
		return nil
	}
	return &t.At
}
