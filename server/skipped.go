package server

import (
	"strconv"
	"sync"

	"ringside/server/call"
	"ringside/store"
)

// Nothing poisons the pipeline: a stored event the board cannot read (see
// store.Unreadable; an event whose apply panicked reads so too, see poison.go) is
// skipped, with an error in the log, the counter ringside_board_skipped_events_total
// and a notice on the settings page naming its seq, and the board goes on with the
// events after it.

// skippedKept bounds the skipped events the settings page lists (the log has all).
const skippedKept = 20

// skippedEvents are the stored events the board skipped since the start.
type skippedEvents struct {
	mu     sync.Mutex
	latest []skippedEvent // the last skippedKept, oldest first
	total  int
	seen   map[uint64]bool // every seq skipped (a few: each is a damaged record or a bug)
}

type skippedEvent struct {
	Seq    uint64
	Reason string
}

// skipUnreadable tells whether e stands in for an unreadable stored event and, if so,
// reports it (board goroutine, under the board's lock: it only logs and counts).
func (b *board) skipUnreadable(e call.Event) bool {
	reason, ok := store.Unreadable(e)
	if !ok {
		return false
	}
	b.reportSkipped(e.Seq, reason)
	return true
}

// toApply tells whether e is still to apply: not applied yet, and readable (an
// unreadable one is reported and passed over).
func (b *board) toApply(e call.Event) bool {
	if e.Seq <= b.applied {
		return false
	}
	if b.skipUnreadable(e) {
		b.applied = e.Seq
		return false
	}
	return true
}

// reportSkipped logs, counts and lists for admins stored event seq, which the board
// skipped for reason (once per seq: an event set aside by the CDR writer reads as
// unreadable to the board later).
func (b *board) reportSkipped(seq uint64, reason string) {
	if !b.skipped.add(skippedEvent{Seq: seq, Reason: reason}) {
		return
	}
	b.log.Error("skipped a stored event the board cannot read; the board goes on with the next (run `ringside check`, or restore a backup)",
		"seq", seq, "err", reason)
	if b.m != nil {
		b.m.skipped.Inc()
	}
}

// add keeps e, unless its seq was added before; it tells which.
func (s *skippedEvents) add(e skippedEvent) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[e.Seq] {
		return false
	}
	if s.seen == nil {
		s.seen = map[uint64]bool{}
	}
	s.seen[e.Seq] = true
	s.total++
	s.latest = append(s.latest, e)
	if len(s.latest) > skippedKept {
		s.latest = s.latest[len(s.latest)-skippedKept:]
	}
	return true
}

// list is the kept skipped events, newest first, and how many were skipped in all.
func (s *skippedEvents) list() ([]skippedEvent, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]skippedEvent, 0, len(s.latest))
	for i := len(s.latest) - 1; i >= 0; i-- {
		out = append(out, s.latest[i])
	}
	return out, s.total
}

// subscriptionEnded reports a log the board can no longer read (a damaged page, a gap):
// the board stops there, and says so in the log and on /readyz rather than freezing
// silently.
func (b *board) subscriptionEnded() {
	err := b.sub.Err()
	if err == nil {
		return // closed: shutting down
	}
	msg := err.Error()
	b.failed.Store(&msg)
	b.log.Error("the board stopped: it cannot read the event log after seq "+strconv.FormatUint(b.progressed.Load(), 10)+
		"; deliveries are still logged (run `ringside check`, or restore a backup)", "err", err)
}
