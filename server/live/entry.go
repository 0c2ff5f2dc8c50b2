package live

import (
	"strings"

	"ringside/server/call"
)

// Waiting callers before any phone rings.
//
// Simotel's IncomingCall names no queue: a caller who waits while every agent is busy is
// known only by the entry point (number or trunk) they called. A configured entry point
// puts such a call in its queue from its arrival: it waits there until answered or ended,
// and counts in that queue's day like any queue call. A queue named by the call's own
// events or records wins over the entry point.
//
// An inbound call not answered, not ended and in no queue yet is still a caller waiting:
// it counts in its source's "not yet in a queue" figure (Board.Queues lists it as a queue
// with Unqueued set and the id "source:"), never silently dropped. That figure has no day
// counters: once the PBX says which queue the call was in, it counts there.

// entryKey normalizes "source:entry point" so that 02191305588, 2191305588 and
// +2191305588 match: PBXs and people write a number's leading zero or plus either way.
func entryKey(k string) string {
	src, ep, _ := strings.Cut(k, ":")
	return src + ":" + strings.TrimLeft(strings.TrimSpace(ep), "+0")
}

// entryQueue is the queue a call arriving at did on source waits in, "" if none is set.
func (b *Board) entryQueue(source, did string) string {
	if did == "" || len(b.entries) == 0 {
		return ""
	}
	return b.entries[entryKey(source+":"+did)]
}

// UnqueuedID is the id of a source's "not yet in a queue" figure.
func UnqueuedID(source string) string { return source + ":" }

// waitQueue is where a call counts as waiting: its queue, else (inbound callers only)
// its source's not-yet-in-a-queue figure; "" when it is not a waiting caller.
func waitQueue(c call.Call) string {
	if !waitingState(c) {
		return ""
	}
	if c.Queue != "" {
		return c.Queue
	}
	if c.Direction == call.Inbound {
		return UnqueuedID(c.Source)
	}
	return ""
}
