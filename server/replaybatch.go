package server

import (
	"runtime/debug"
	"time"

	"ringside/server/call"
	"ringside/server/live"
)

// While the board catches up (a start replaying the log), each batch the subscription
// hands over is applied as one live.Board batch: every call it touches is folded once,
// not once per event (see live/batch.go), and nobody is told (pages show "catching
// up"). The board ends as it would have event by event; the calls the batch ended go
// to the CDR writer as they were last.
//
// What a first start waits for is the board's one goroutine, and Go's scheduler has no
// priorities: the CDR writer, storing the calls the replay ends as fast as it can, took
// as much CPU as the board (two cores, with the collector beside them), so the board
// had a core about half the time. While the board catches up the writer paces itself
// (at most a third of a core): it stores what queued up meanwhile in fewer, larger
// transactions, and what is left once the board has caught up at full speed. Searches
// find the replayed calls later; nothing needs them earlier (pages show "catching up").
const replayYield = 2

// A panic anywhere in a batch leaves nothing of it trusted, as an apply that panics
// (poison.go): the board is rebuilt up to the batch and the batch applied again one
// event at a time, which finds the event at fault and sets it aside.

// applyBatch applies evs as one batch; false when it panicked (the board is then as
// it was before the batch, to apply it again event by event).
func (b *board) applyBatch(evs []call.Event, r *appliedBatch) bool {
	from := b.applied
	err := b.tryBatch(evs, r)
	if err == nil {
		return true
	}
	b.log.Warn("a catch-up batch panicked; it is applied again one event at a time", "after_seq", from, "err", err)
	*r = appliedBatch{}
	b.rebuildBefore(from + 1)
	b.applied = from
	return false
}

// tryBatch applies evs as one batch of the board; a panic is returned as an error.
func (b *board) tryBatch(evs []call.Event, r *appliedBatch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &applyPanic{seq: b.applied + 1, value: p, stack: debug.Stack()}
		}
	}()
	lb := b.b
	lb.BeginBatch()
	for _, e := range evs {
		if !b.toApply(e) {
			continue
		}
		a, err := b.applyEvent(lb, e)
		if err != nil {
			return err
		}
		r.pres, r.cbs = append(r.pres, a.pres...), append(r.cbs, a.cbs...)
		b.applied = e.Seq
	}
	r.changes, r.ended = lb.EndBatch()
	for _, ch := range r.changes {
		if ch.Kind == live.KindAgent {
			b.noteName(ch.ID)
		}
	}
	return nil
}

// rebuildBefore replaces the board by the stored snapshot's with the log after it
// applied up to seq (not included), setting aside each event that panics on the way.
func (b *board) rebuildBefore(seq uint64) {
	for range maxRebuilds {
		lb, err := b.rebuildThrough(seq)
		if err == nil {
			b.b, b.names = lb, call.NameIndex(lb.Agents())
			return
		}
		p, ok := err.(*applyPanic)
		if !ok {
			msg := "rebuilding the board after a panic failed: " + err.Error()
			b.failed.Store(&msg)
			b.log.Error(msg)
			return
		}
		b.setAside(p)
	}
	msg := "the board stopped: rebuilding it after a panic did not get past it"
	b.failed.Store(&msg)
	b.log.Error(msg)
}

// paceReplay pauses the writer after a write that took `took` while the board catches
// up: replayYield times as long, until the board has caught up.
func (w *cdrWriter) paceReplay(took time.Duration) {
	if !w.replaying.Load() {
		return
	}
	t := time.NewTimer(min(replayYield*took, time.Second))
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.caughtUp:
	}
}

// boardCaughtUp ends the writer's pacing (once).
func (w *cdrWriter) boardCaughtUp() {
	if w.replaying.CompareAndSwap(true, false) {
		close(w.caughtUp)
	}
}
