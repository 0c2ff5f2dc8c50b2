package server

import (
	"time"

	"ringside/server/call"
)

// An agent's page over a shift: a call that ended keeps its open card (with the
// recording) for ended_card_s seconds, then folds into "My recent calls", where it is
// listed already; one ended card at most, the latest. web/app.js folds cards on the open
// page the same way (the card's data-ended, #pops data-collapse-s), so a page left open
// all day holds the calls of now, not of the shift.

// justEnded is the call of the agent's recent ones (newest first) that still keeps its
// open card: the latest, if it ended within keepS seconds.
func justEnded(recent []call.Call, agentID string, now time.Time, keepS float64) (call.Call, bool) {
	for _, c := range recent {
		if c.Agent != agentID || c.EndedAt == nil {
			continue
		}
		if now.Sub(*c.EndedAt) < time.Duration(keepS*float64(time.Second)) {
			return c, true
		}
		return call.Call{}, false // the latest ended too long ago; older ones did too
	}
	return call.Call{}, false
}
