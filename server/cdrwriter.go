package server

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/server/report"
	"ringside/store"
)

// cdrWriter stores ended calls off the board's goroutine, as many per transaction as
// have queued up meanwhile (each transaction is an fsync, and bbolt has one writer,
// which the event log needs for intake), then adds them and the agents' presence
// facts to the report buckets.
//
// CDRs are derived from the log, so none is lost to a failed write: a failed batch
// is kept and retried (with a growing pause) together with what came after it, and
// the store's CDR mark stays at the last seq known to have every CDR. Once writes
// succeed again, and at every start, the writer checks the log after the mark and
// stores the CDR of every ended call that has none, folded from that call's events.
type cdrWriter struct {
	st       *store.Store
	log      *slog.Logger
	rules    report.Rules
	lc       live.Config // for calls folded from the log
	building atomic.Bool // the report buckets are being rebuilt: reports would be partial
	in       chan cdrBatch
	done     chan struct{}

	retry   cdrBatch      // what failed to store, retried before anything newer
	failed  atomic.Bool   // retry holds something, or a check from the mark is due
	seen    uint64        // the board's applied seq with the last batch (writer only)
	markAt  time.Time     // when the mark was last stored (writer only)
	pause   time.Duration // before the next retry (writer only)
	checked atomic.Uint64 // how far the log is known to have its CDRs
	swept   sweptCounts   // what retention has done (retention.go)

	setAside func(*applyPanic) // an event whose apply panicked in a fold (poison.go); nil: only left out

	replaying atomic.Bool   // the board is catching up: the writer paces itself (replaybatch.go)
	caughtUp  chan struct{} // closed when it has
	busy      func() bool   // intake is saturated: the writer holds its batch (see holds)
}

// cdrBatch is calls and presence facts to store, or (done set) a flush: done closes
// once everything sent before it is stored, or has failed and waits for a retry.
type cdrBatch struct {
	seq   uint64 // the board's applied seq when it ended these calls
	calls []call.Call
	pres  []store.Presence
	cbs   []report.Callback
	lc    *live.Config // a new configuration (a reload): count by its rules, rebuilding the buckets if they differ
	// factsThrough, with lc: a rebuild of the buckets reads presence and callback facts
	// from the log's events through this seq (a start's board hands over the rest).
	factsThrough uint64
	sweep        *sweepJob // retention's turn (see retention.go)
	done         chan struct{}
}

// control tells a batch that asks the writer to do something else than store.
func (c *cdrBatch) control() bool { return c.lc != nil || c.sweep != nil }

func (c *cdrBatch) add(o cdrBatch) {
	c.calls = append(c.calls, o.calls...)
	c.pres = append(c.pres, o.pres...)
	c.cbs = append(c.cbs, o.cbs...)
	c.seq = max(c.seq, o.seq)
}

func (c *cdrBatch) empty() bool { return len(c.calls)+len(c.pres)+len(c.cbs) == 0 }

// maxRetryCalls bounds what a failing writer holds in memory; beyond it, the oldest
// calls are let go and come back from the log once writes succeed (the mark stays
// behind them).
const maxRetryCalls = 50000

// retryPause is the first pause before a retry; it doubles up to maxRetryPause.
const (
	retryPause    = time.Second
	maxRetryPause = 30 * time.Second
	markEvery     = 10 * time.Second
)

func startCDRWriter(st *store.Store, log *slog.Logger, lc live.Config, setAside func(*applyPanic)) *cdrWriter {
	w := newCDRWriter(st, log, lc, setAside)
	go w.run()
	return w
}

func newCDRWriter(st *store.Store, log *slog.Logger, lc live.Config, setAside func(*applyPanic)) *cdrWriter {
	w := &cdrWriter{st: st, log: log, rules: report.RulesOf(lc), lc: lc, in: make(chan cdrBatch, 1024), done: make(chan struct{}),
		setAside: setAside, caughtUp: make(chan struct{}), busy: func() bool { return intakeBusy(st) }}
	w.checked.Store(st.CDRMark())
	w.seen = w.checked.Load()
	w.failed.Store(true) // check the log after the mark once, at start
	return w
}

// put hands over what the board applied through seq ended.
func (w *cdrWriter) put(seq uint64, calls []call.Call, pres []store.Presence, cbs []report.Callback) {
	w.in <- cdrBatch{seq: seq, calls: calls, pres: pres, cbs: cbs}
}

// flush waits until every call put before has been written or has failed (and waits
// for a retry); stored tells which.
func (w *cdrWriter) flush() (stored bool) {
	if w == nil {
		return true
	}
	select {
	case <-w.done:
		return !w.failed.Load()
	default:
	}
	done := make(chan struct{})
	w.in <- cdrBatch{done: done}
	<-done
	return !w.failed.Load()
}

func (w *cdrWriter) close() {
	close(w.in)
	<-w.done
}

// cdrLinger is how long the writer gathers CDRs before a transaction. Each stored CDR
// touches a page of every index, scattered across the files's B+trees, and bbolt
// rewrites each touched page per transaction: gathering many CDRs into one shares
// those rewrites. Searches see a call this much later; pages get it pushed at once.
const cdrLinger = 250 * time.Millisecond

// cdrHoldCalls bounds the calls the writer holds while intake is saturated: at 1-2 KB
// a view, 10-20 MiB; a few seconds of a vendor's backlog.
const cdrHoldCalls = 10000

// holds tells whether the writer goes on gathering past cdrLinger. While intake is
// saturated (intakefirst.go) it does, until the burst ends or cdrHoldCalls: each of
// its transactions holds bbolt's one write lock, which the log's commits wait for,
// and on a full board (its indexes' pages scattered over a large file) one took a
// tenth of a second and more (the README's Benchmark, Intake, "A full board", has
// what holding them gave). The CDRs are derived from the log, so a crash meanwhile
// loses none (the mark stays behind them).
func (w *cdrWriter) holds(b cdrBatch) bool { return len(b.calls) < cdrHoldCalls && w.busy() }

func (w *cdrWriter) run() {
	defer close(w.done)
	for {
		first, ok := w.next()
		if !ok {
			w.stop()
			return
		}
		if first.control() {
			w.do(first)
			continue
		}
		batch, flushes, pending, open := w.gather(first)
		t0 := time.Now()
		w.write(batch, flushes)
		yieldToIntake(w.st, time.Since(t0), nil) // see intakefirst.go
		w.paceReplay(time.Since(t0))
		if pending != nil {
			w.do(*pending)
		}
		if !open {
			w.stop()
			return
		}
	}
}

// stop tries what failed once more and stores the mark, so the next start checks
// only the log after it.
func (w *cdrWriter) stop() {
	if w.failed.Load() {
		w.write(cdrBatch{}, nil)
	}
	if !w.failed.Load() && w.seen > w.st.CDRMark() {
		if err := safely(func() error { return w.st.SetCDRMark(w.seen) }); err != nil {
			w.log.Warn("storing the CDR mark failed; the next start checks more of the log", "err", err)
		}
	}
}

// do runs a control batch. A panic in it (bbolt meeting a damaged page) is logged and
// the writer goes on: a sweep comes again a minute later, a reconfiguration with the
// next reload or start.
func (w *cdrWriter) do(c cdrBatch) {
	err := safely(func() error {
		if c.lc != nil {
			w.reconfigure(*c.lc, c.factsThrough)
		}
		if c.sweep != nil {
			w.prune(*c.sweep)
		}
		return nil
	})
	if err != nil {
		w.log.Error("the CDR writer's reconfiguration or retention sweep failed; it goes on", "err", err)
	}
}

// next waits for input, or (while writes fail) for the next retry.
func (w *cdrWriter) next() (cdrBatch, bool) {
	if !w.failed.Load() {
		b, ok := <-w.in
		return b, ok
	}
	t := time.NewTimer(w.pause)
	defer t.Stop()
	select {
	case b, ok := <-w.in:
		return b, ok
	case <-t.C:
		return cdrBatch{}, true
	}
}

// gather collects what queues up within cdrLinger after first (none for a flush).
func (w *cdrWriter) gather(first cdrBatch) (batch cdrBatch, flushes []chan struct{}, pending *cdrBatch, open bool) {
	batch, flushes, open = first, []chan struct{}{first.done}, true
	if first.done != nil || first.empty() && first.seq == 0 {
		return batch, flushes, nil, open // a flush or a retry: write now
	}
	linger := time.NewTimer(cdrLinger)
	defer linger.Stop()
	for {
		select {
		case next, ok := <-w.in:
			if !ok {
				return batch, flushes, nil, false
			}
			if next.control() {
				return batch, flushes, &next, open // after what came before it
			}
			batch.add(next)
			flushes = append(flushes, next.done)
			if next.done != nil {
				return batch, flushes, nil, open // someone waits: write now
			}
		case <-linger.C:
			if w.holds(batch) {
				linger.Reset(cdrLinger)
				continue
			}
			return batch, flushes, nil, open
		}
	}
}

// write stores batch after whatever failed before, then answers the flushes.
func (w *cdrWriter) write(batch cdrBatch, flushes []chan struct{}) {
	all := w.retry
	all.add(batch)
	all.calls = latestOnly(all.calls)
	err := w.store(all)
	if err == nil {
		// A panic here (a damaged page, a call that cannot be folded) is an error like
		// a failed write: retried, and the flushes are answered rather than left waiting.
		if err = safely(func() error { return w.heal(all.seq) }); err != nil {
			w.log.Error("checking the log for calls without a CDR failed; retrying", "err", err)
		}
	}
	if err != nil {
		w.retry = all
		if n := len(all.calls) - maxRetryCalls; n > 0 {
			w.retry.calls = all.calls[n:] // the log still has them: healed after the mark
		}
		w.pause = min(max(2*w.pause, retryPause), maxRetryPause)
		w.failed.Store(true)
	} else {
		w.retry, w.pause = cdrBatch{}, 0
		w.failed.Store(false)
	}
	for _, d := range flushes {
		if d != nil {
			close(d)
		}
	}
}

// store writes the CDRs and the report buckets of b.
func (w *cdrWriter) store(b cdrBatch) error {
	if b.empty() {
		return nil
	}
	if len(b.calls) > 0 {
		if err := safely(func() error { return w.st.PutCDRs(context.Background(), b.calls) }); err != nil {
			w.log.Error("storing CDRs failed; retrying", "count", len(b.calls), "err", err)
			return err
		}
	}
	if err := safely(func() error { return report.UpdateAll(w.st, w.rules, b.calls, b.pres, b.cbs) }); err != nil {
		w.log.Error("updating report buckets failed; retrying", "calls", len(b.calls), "presence", len(b.pres), "err", err)
		return err
	}
	return nil
}

// heal moves the CDR mark up to seq (or the stored snapshot's seq, which the board
// had applied), checking the log after the mark first when writes had failed or this
// is the start. It runs after a successful write.
func (w *cdrWriter) heal(seq uint64) error {
	w.seen = max(w.seen, seq, w.st.SnapshotSeq())
	if w.failed.Load() {
		if err := w.check(w.seen); err != nil {
			return err
		}
	}
	w.checked.Store(w.seen)
	if w.seen > w.st.CDRMark() && time.Since(w.markAt) >= markEvery {
		w.markAt = time.Now()
		return w.st.SetCDRMark(w.seen)
	}
	return nil
}

// check stores the CDR of every call that an event after the mark, up to upto, ended
// and that has none, folding the call from its events in the log.
func (w *cdrWriter) check(upto uint64) error {
	const chunk = 20000
	for from := w.checked.Load(); from < upto; {
		ids, through, err := w.st.EndedWithoutCDR(from, upto, chunk)
		if err != nil {
			return err
		}
		var calls []call.Call
		for _, id := range ids {
			evs, err := w.st.CallEvents(id)
			if err != nil {
				return err
			}
			if c, ok := foldEnded(w.lc, evs, w.setAside); ok {
				calls = append(calls, c)
			}
		}
		if len(calls) > 0 {
			if err := w.store(cdrBatch{calls: calls}); err != nil {
				return err
			}
			w.log.Info("stored the CDRs of ended calls the log had without one", "count", len(calls), "through_seq", through)
		}
		if through == from {
			break // the log ends before upto
		}
		w.checked.Store(through)
		from = through
	}
	return nil
}

// foldEnded is the call evs (one call's events, in log order) make on their own, if
// they end it. An event whose apply panics is set aside (when setAside is given) and
// the call folded again without it, as the board does (poison.go).
func foldEnded(lc live.Config, evs []call.Event, setAside func(*applyPanic)) (call.Call, bool) {
	for range maxRebuilds {
		c, ok, p := fold(lc, evs)
		if p == nil {
			return c, ok
		}
		if setAside != nil {
			setAside(p)
		}
		evs = slices.DeleteFunc(slices.Clone(evs), func(e call.Event) bool { return e.Seq == p.seq })
	}
	return call.Call{}, false
}

// fold is foldEnded's one attempt; p is the panic that ended it, if one did.
func fold(lc live.Config, evs []call.Event) (c call.Call, ended bool, p *applyPanic) {
	if len(evs) == 0 {
		return call.Call{}, false, nil
	}
	var seq uint64
	defer func() {
		if v := recover(); v != nil {
			c, ended, p = call.Call{}, false, &applyPanic{seq: seq, value: v, stack: debug.Stack()}
		}
	}()
	b := live.New(lc)
	for _, e := range evs {
		seq = e.Seq
		if applyHook != nil {
			applyHook(b, e)
		}
		b.Apply(e)
	}
	c, ok := b.Call(evs[0].Call)
	return c, ok && c.State == call.StateEnded, nil
}

// reconfigure counts by new rules from now on, rebuilding the buckets when they were
// built under other ones (a reload changed a threshold or the directory), with the
// presence and callback facts of the log's events through factsThrough.
func (w *cdrWriter) reconfigure(lc live.Config, factsThrough uint64) {
	r := report.RulesOf(lc)
	w.rules, w.lc = r, lc
	if report.Current(w.st, r) {
		return
	}
	w.building.Store(true)
	if err := report.EnsureThrough(context.Background(), w.st, r, w.log, factsThrough); err != nil {
		w.log.Error("building the report buckets failed; reports stay unavailable until a restart", "err", err)
		return
	}
	w.building.Store(false)
}

// newConfig hands the writer a new configuration; until it has rebuilt the buckets
// for its rules (if they differ from what the buckets were built under), reports say
// they are not ready.
func (w *cdrWriter) newConfig(lc live.Config) { w.configure(lc, math.MaxUint64) }

// startConfig is newConfig at a start, before the board replays the log after seq:
// the board hands over the presence and callback facts of those events as it applies
// them (before any call it ends or snapshot it stores), so a rebuild of the buckets
// reads only the facts of the events through seq. On a first start that is none: the
// log would otherwise be read and its facts written twice.
func (w *cdrWriter) startConfig(lc live.Config, seq uint64) { w.configure(lc, seq) }

func (w *cdrWriter) configure(lc live.Config, factsThrough uint64) {
	if !report.Current(w.st, report.RulesOf(lc)) {
		w.building.Store(true)
	}
	w.in <- cdrBatch{lc: &lc, factsThrough: factsThrough}
}

// latestOnly keeps each call's last version (a call updated twice in a burst).
func latestOnly(calls []call.Call) []call.Call {
	last := make(map[string]int, len(calls))
	for i, c := range calls {
		last[c.ID] = i
	}
	if len(last) == len(calls) {
		return calls
	}
	out := calls[:0:0]
	for i, c := range calls {
		if last[c.ID] == i {
			out = append(out, c)
		}
	}
	return out
}
