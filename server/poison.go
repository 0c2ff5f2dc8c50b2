package server

import (
	"fmt"
	"runtime/debug"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/server/report"
	"ringside/store"
)

// Nothing poisons the pipeline, continued (skipped.go has the unreadable events): an
// event whose apply panics (a bug meeting an input nobody foresaw) is handled like an
// event the board cannot read. The panic is recovered; the event is set aside in the
// store (store.Quarantine), so every later reader, a restart's replay included, gets
// its unreadable stand-in and skips it without panicking again (no crash loop); it is
// logged with its stack, counted and listed for admins with its seq; and the board
// goes on with the next event.
//
// The apply that panicked may have changed the board halfway (a clock moved, a leg
// added, an agent's state changed without its queue's count). Nothing of a half-done
// apply is trusted: the board is rebuilt from the stored snapshot and the log after
// it, up to the bad event, which now reads as its stand-in. Those events were applied
// before, so the calls they ended already went to the CDR writer; the rebuild hands
// nothing over again. An event that panics during that replay is set aside the same
// way and the rebuild starts over (each round sets one more event aside, so it ends).
// The rebuild holds the board's write lock, so pages and the API wait for it (a
// snapshot's restore and at most snapshot_every events): a price paid once per bug.
// A settled call read back from the log leaves the event out too (a call's timeline
// has no stand-ins), and the CDR writer folds a call from the log by the same rule
// (foldEnded).

// applied is what one event did to the board, and the facts it gives the reports.
type applied struct {
	changes []live.Change
	pres    []store.Presence
	cbs     []report.Callback
}

// applyPanic is a recovered panic of one event's apply.
type applyPanic struct {
	seq   uint64
	value any
	stack []byte
}

func (p *applyPanic) Error() string {
	return fmt.Sprintf("applying event %d panicked: %v", p.seq, p.value)
}

// reason is what the store and the settings page keep of it.
func (p *applyPanic) reason() string { return fmt.Sprintf("applying it panicked: %v", p.value) }

// applyEvent applies e to lb as the board does (its vendor times clamped), with the
// presence fact and callback it gives the reports; a panic is returned as an
// *applyPanic.
func (b *board) applyEvent(lb *live.Board, e call.Event) (a applied, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &applyPanic{seq: e.Seq, value: p, stack: debug.Stack()}
		}
	}()
	if applyHook != nil {
		applyHook(lb, e)
	}
	e = b.clamp(e)
	if p, ok := report.PresenceOf(e, lb.AgentID(e)); ok {
		a.pres = append(a.pres, p)
	}
	if e.Type == call.CallbackTaken {
		abandoned, _ := lb.Call(e.Call)
		if cb, ok := report.CallbackOf(e, abandoned.Queue); ok {
			a.cbs = append(a.cbs, cb)
		}
	}
	a.changes = lb.Apply(e)
	return a, nil
}

// applyHook, when set (tests only), runs before every event the board or a CDR
// writer's fold applies, with the board it goes to: a test changes that board halfway
// and panics on a chosen event, as a bug in live.Board.Apply would.
var applyHook func(*live.Board, call.Event)

// maxRebuilds bounds the rebuilds after one panic; past it the board stops (and says
// so on /readyz) rather than loop.
const maxRebuilds = 100

// recoverFrom sets the event of err aside and rebuilds the board without it (under the
// write lock, on the board goroutine). It returns every agent, queue and active call as
// changed, so open pages redraw them.
func (b *board) recoverFrom(err error) []live.Change {
	for range maxRebuilds {
		p, ok := err.(*applyPanic)
		if !ok { // the log could not be read: the board stays as it is and says so
			msg := "rebuilding the board after a panic failed: " + err.Error()
			b.failed.Store(&msg)
			b.log.Error(msg)
			return nil
		}
		b.setAside(p)
		var lb *live.Board
		if lb, err = b.rebuildThrough(p.seq); err == nil {
			b.b, b.names = lb, call.NameIndex(lb.Agents())
			return everything(lb)
		}
	}
	msg := fmt.Sprintf("the board stopped: %d rebuilds after a panic did not get past it", maxRebuilds)
	b.failed.Store(&msg)
	b.log.Error(msg)
	return nil
}

// rebuildThrough is the stored snapshot's board with the log after it applied up to
// seq, skipping the events that read as stand-ins; an event that panics is the error.
func (b *board) rebuildThrough(seq uint64) (*live.Board, error) {
	lb, from := b.fromSnapshot()
	for from < seq {
		evs, err := b.st.Events(from, 1000)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.Seq >= seq {
				return lb, nil
			}
			if _, bad := store.Unreadable(e); !bad {
				if _, err := b.applyEvent(lb, e); err != nil {
					return nil, err
				}
			}
			from = e.Seq
		}
	}
	return lb, nil
}

// setAside quarantines the event of p in the store and reports it like an unreadable
// one. Safe on any goroutine (the CDR writer's folds use it too).
func (b *board) setAside(p *applyPanic) {
	b.log.Error("applying a stored event panicked; it is set aside and the board goes on without it",
		"seq", p.seq, "panic", fmt.Sprint(p.value), "stack", string(p.stack))
	if err := b.st.Quarantine(p.seq, p.reason()); err != nil {
		b.log.Error("setting the event aside failed; a restart meets it again", "seq", p.seq, "err", err)
	}
	b.reportSkipped(p.seq, p.reason())
}

// survive runs fn, a step of the board goroutine other than an event's apply (a push,
// a snapshot, the expiry and open-call checks, a reconfiguration), turning a panic into
// an error in the log with its stack: the step is skipped and the board goes on. None
// of them changes the board halfway (a reconfiguration swaps in a new board only once
// it is built), and the read lock they take is released by a defer.
func (b *board) survive(what string, fn func()) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("the board's "+what+" panicked; skipped, the board goes on",
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	fn()
}

// restoreSafely is live.RestoreSegments, with a panic (a snapshot that restores into nonsense)
// as its error: the board then replays the whole log instead, where a panic would end
// every start the same way.
func restoreSafely(lc live.Config, head []byte, segments [][]byte) (lb *live.Board, err error) {
	defer func() {
		if p := recover(); p != nil {
			lb, err = nil, fmt.Errorf("restoring it panicked: %v", p)
		}
	}()
	return live.RestoreSegments(lc, head, segments)
}
