package live

import "ringside/server/call"

// Per-call bounds. A source (or whoever holds its credentials) could otherwise grow
// one call without end: every event refolds its whole call, so a call of n events costs
// about n²/2 event folds (1,000 events on one call take seconds of CPU), and 90,000
// recordings made a CDR of megabytes. The log keeps everything; the board folds at
// most this much of a call, in log order, so a replay folds the same. A real call
// stays far below (a queue call rung at 20 agents for ten minutes is a few hundred
// events); past the bound, rings and agent states are not folded, but the facts that
// change the call itself (answer, transfer, end, record) still are, up to factsRoom.
const (
	maxRecordings    = 100
	maxLegs          = 500
	maxEventsPerCall = 1000
	factsRoom        = 100
)

// roomFor says whether a call holding n events folds e too.
func roomFor(n int, e call.Event) bool {
	if n < maxEventsPerCall {
		return true
	}
	switch e.Type {
	case call.CallAnswered, call.CallTransferred, call.CallEnded, call.CallExpired, call.CallRecord:
		return n < maxEventsPerCall+factsRoom
	}
	return false
}

// add appends a leg unless the call already has maxLegs.
func (ls *legs) add(l *legState) bool {
	if len(*ls) >= maxLegs {
		return false
	}
	*ls = append(*ls, l)
	return true
}
