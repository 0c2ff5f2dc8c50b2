package live

import "ringside/server/call"

// Per-call bounds. A source (or whoever holds its credentials) could otherwise grow
// one call without end: every event refolds its call, so 90,000 events or recordings
// on one call cost billions of steps and a CDR of megabytes. The log keeps everything;
// the board folds at most this much of a call, in log order, so a replay folds the
// same. Far above any real call (a queue call rung at 50 agents every minute for an
// hour is 6,000 events).
const (
	maxRecordings    = 100
	maxLegs          = 500
	maxEventsPerCall = 10_000
	// endsRoom is how many end facts a full call still takes, so that it can end.
	endsRoom = 100
)

// roomFor says whether a call holding n events folds e too.
func roomFor(n int, e call.Event) bool {
	if n < maxEventsPerCall {
		return true
	}
	switch e.Type {
	case call.CallEnded, call.CallExpired, call.CallRecord:
		return n < maxEventsPerCall+endsRoom
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
