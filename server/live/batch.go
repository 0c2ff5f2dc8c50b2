package live

import (
	"cmp"
	"slices"
	"time"

	"ringside/server/call"
)

// Replay batches: a call refolded once per batch, not once per event.
//
// Apply refolds an event's call from all of its events, so a call of ten events is
// folded ten times; a replay of a long log (a first start) spent a fifth of its CPU
// there. Between BeginBatch and EndBatch, Apply only adds a call's event and notes the
// call; its fold waits until a fold is due, and then runs once for all the call's new
// events. A fold is a function of the call's events, and what a fold changes elsewhere
// (agents' parts, queue counts, callback facts) follows from the call's views before and
// after it, so the board ends as it would have, event by event. Folds are due before
// whatever reads a call's view: a callback mark or a voicemail message, the day's
// retention sweep, a settled call read back from the log, Call, and any call that
// could have settled meanwhile (so a batch never spans more than SettleAfter of the
// clock with a call unfolded). Each deferred fold queues its call to settle at the
// clock of its last event, in the order of those events, as Apply would have.
//
// A batch tells nobody: its changes are the calls, agents and queues it changed,
// gathered at its end without callback audiences, for a replay whose pages show
// "catching up". The calls it ended come with their views as they were when they
// ended (a late record of an old call may end it and the day's sweep drop it within
// one batch: its record must still be stored).

// replayBatch is an open batch.
type replayBatch struct {
	ch        *changes                 // what the batch changed so far; nil: no batch
	ended     []call.Call              // the calls it ended (again), each as it was last
	endedAt   map[string]int           // their index in ended
	pending   map[string]*deferredFold // calls with events not folded yet
	touches   uint64                   // events deferred so far (orders the folds)
	since     time.Time                // the clock at the first deferred event since the last fold
	foldClock time.Time                // while folding one: the clock of its call's last event
}

// deferredFold is what a call looked like before its deferred events, and when its last
// one came.
type deferredFold struct {
	old      call.Call
	wasGhost bool
	oldWait  string
	clock    time.Time
	last     uint64
}

// BeginBatch starts a replay batch (see above); EndBatch ends it.
func (b *Board) BeginBatch() {
	if b.batch.ch == nil {
		b.batch.ch = &changes{agents: map[string]bool{}, queues: map[string]bool{}, quiet: true}
	}
}

// EndBatch folds the calls still waiting and returns what the batch changed and the
// calls it ended (or changed once ended: to store as records), each once, as it was
// last.
func (b *Board) EndBatch() ([]Change, []call.Call) {
	b.foldDeferred()
	ch, ended := b.batch.ch, b.batch.ended
	b.batch = replayBatch{}
	if ch == nil {
		return nil, nil
	}
	return b.finish(ch), ended
}

// noteEnded keeps an ended call's view for EndBatch.
func (b *Board) noteEnded(id string, ce *callEntry) {
	if b.batch.endedAt == nil {
		b.batch.endedAt = map[string]int{}
	}
	if i, ok := b.batch.endedAt[id]; ok {
		b.batch.ended[i] = ce.full()
		return
	}
	b.batch.endedAt[id] = len(b.batch.ended)
	b.batch.ended = append(b.batch.ended, ce.full())
}

// finishUnlessBatch lists an Apply's changes; within a batch they wait for its end.
func (b *Board) finishUnlessBatch(ch *changes) []Change {
	if b.batch.ch != nil {
		return nil
	}
	return b.finish(ch)
}

// deferFold notes a call's new event within a batch; false outside one (fold now).
func (b *Board) deferFold(id string, ce *callEntry) bool {
	if b.batch.ch == nil {
		return false
	}
	if b.batch.pending == nil {
		b.batch.pending = map[string]*deferredFold{}
	}
	if len(b.batch.pending) == 0 {
		b.batch.since = b.clock
	}
	b.batch.touches++
	d := b.batch.pending[id]
	if d == nil {
		d = &deferredFold{old: ce.view, wasGhost: ce.ghost, oldWait: ce.waitQ}
		b.batch.pending[id] = d
		ce.deferred = true
	}
	d.clock, d.last = b.clock, b.batch.touches
	return true
}

// foldBeforeSettling folds the waiting calls once the clock has moved SettleAfter
// since the first of them: one of them may be due to settle.
func (b *Board) foldBeforeSettling() {
	if len(b.batch.pending) > 0 && b.clock.Sub(b.batch.since) >= b.cfg.SettleAfter {
		b.foldDeferred()
	}
}

// foldDeferred folds every waiting call, in the order of their last events.
func (b *Board) foldDeferred() {
	if len(b.batch.pending) == 0 {
		return
	}
	ids := make([]string, 0, len(b.batch.pending))
	for id := range b.batch.pending {
		ids = append(ids, id)
	}
	p := b.batch.pending
	slices.SortFunc(ids, func(x, y string) int { return cmp.Compare(p[x].last, p[y].last) })
	for _, id := range ids {
		d, ce := p[id], b.calls[id]
		ce.deferred = false
		b.batch.foldClock = d.clock
		b.refoldFrom(id, ce, d.old, d.wasGhost, d.oldWait, b.batch.ch)
	}
	b.batch.foldClock = time.Time{}
	clear(b.batch.pending)
}
