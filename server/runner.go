package server

import (
	"context"
	"log/slog"
	"maps"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/server/report"
	"ringside/store"
)

// snapshotEvery bounds how much log a restart replays.
const (
	snapshotEveryTime = 30 * time.Second
	expiryCheck       = time.Minute
	// snapshotShare caps the board's time spent snapshotting: the next snapshot waits
	// at least snapshotShare times as long as the last one took. A board holding many
	// calls (each snapshot is the whole board) would otherwise snapshot ever more of
	// its time away during a long replay or a burst.
	snapshotShare = 20
)

// board runs live.Board as the log's single writer: it applies committed events in seq
// order, stores ended calls as CDRs, snapshots periodically and appends expiry events.
// Readers (API, pages) take the read lock.
type board struct {
	mu      sync.RWMutex
	b       *live.Board
	applied uint64

	names map[string]string // agent id → name; replaced, never changed in place (renders share it)

	st        *store.Store
	cdrs      *cdrWriter
	sub       *store.Subscription
	log       *slog.Logger
	cfg       *config.Config
	onChange  func([]live.Change) // called outside the lock, in log order
	open      openCalls           // see opencalls.go
	ready     chan struct{}       // closed once the log present at start is applied
	done      chan struct{}
	quit      chan struct{} // closed by Close
	closeOnce sync.Once
	restored  atomic.Bool            // the snapshot is loaded (the board may be snapshotted again)
	skipped   skippedEvents          // stored events it could not read (skipped.go)
	failed    atomic.Pointer[string] // why the board stopped applying the log (/readyz)
	clocks    *clockWatch            // the server's; told of clamped vendor times (clockclamp.go)

	reconf chan reconfRequest // Reload's new configuration, applied on the board goroutine

	m          *metrics       // set before start
	progressed atomic.Uint64  // the applied seq, readable without the lock (/readyz)
	movedAt    atomic.Int64   // when progressed last changed (Unix ns)
	snappedAt  atomic.Int64   // when the last snapshot was stored (Unix ns; 0: none yet)
	compacted  atomic.Int32   // boards laid out anew after a replay (memory.go)
	snapping   atomic.Bool    // a snapshot is being stored aside (snapshotAside)
	snapWG     sync.WaitGroup // that snapshot, waited for before the board is replaced
}

// liveConfig turns the configuration into the board's.
func liveConfig(cfg *config.Config) live.Config {
	lc := live.Config{Queues: map[string]live.QueueConfig{}, Locations: map[string]*time.Location{}, ExpireAfter: cfg.CallExpiry.Duration}
	lc.Default = live.QueueConfig{SLThresholdS: 20, AbandonAfterS: 5}
	for _, a := range cfg.Agents {
		lc.Directory = append(lc.Directory, live.DirectoryEntry{ID: a.ID, Name: a.Name, Match: a.Match, Queues: a.Queues})
	}
	for _, q := range cfg.Queues {
		qc := lc.Default
		qc.Name = q.Name
		if q.SLThresholdS > 0 {
			qc.SLThresholdS = q.SLThresholdS
		}
		if q.AbandonAfterS > 0 {
			qc.AbandonAfterS = q.AbandonAfterS
		}
		lc.Queues[q.ID] = qc
		if src, _, ok := strings.Cut(q.ID, ":"); ok {
			for _, ep := range q.EntryPoints {
				if lc.EntryPoints == nil {
					lc.EntryPoints = map[string]string{}
				}
				lc.EntryPoints[src+":"+ep] = q.ID
			}
		}
	}
	lc.Vendors = map[string]string{}
	for _, s := range cfg.Sources {
		lc.Locations[s.Name] = s.Location
		lc.Vendors[s.Name] = s.Vendor
	}
	return lc
}

// startBoard sets up an empty board; start restores the snapshot and replays the log
// after it in the background, so the server listens (and logs deliveries) meanwhile.
func startBoard(cfg *config.Config, st *store.Store, log *slog.Logger) (*board, error) {
	lb := live.New(liveConfig(cfg))
	b := &board{b: lb, names: call.NameIndex(lb.Agents()), st: st, log: log, cfg: cfg,
		ready: make(chan struct{}), done: make(chan struct{}), quit: make(chan struct{}),
		reconf: make(chan reconfRequest)}
	b.movedAt.Store(time.Now().UnixNano())
	b.open = newOpenCalls()
	return b, nil
}

// start runs the board; set onChange before.
func (b *board) start() {
	lc := liveConfig(b.cfg)
	b.cdrs = startCDRWriter(b.st, b.log, lc, b.setAside)
	b.cdrs.replaying.Store(true) // until the board has caught up (replaybatch.go)
	// The report buckets first: built from the stored CDRs and the log if they are
	// missing (a store from before reports) or counted under other rules. On the
	// writer's goroutine, so the server takes deliveries meanwhile and the calls the
	// replay ends are added after. The board replays the log after the stored
	// snapshot (all of it if that does not restore) and hands over those events' facts.
	b.cdrs.startConfig(lc, b.st.SnapshotSeq())
	go b.run(b.st.LastSeq())
}

// restoreHold, when set (tests only), holds every board's restore until it is closed:
// a board still catching up, for as long as the test looks at it.
var restoreHold chan struct{}

// restore replaces the empty board by the latest snapshot (on the board goroutine,
// readers see the empty board until then) and subscribes to the log after it.
func (b *board) restore() {
	if restoreHold != nil {
		select { // a failed test closes the server without releasing it
		case <-restoreHold:
		case <-b.quit:
		}
	}
	lb, seq := b.fromSnapshot()
	b.mu.Lock()
	b.b, b.applied, b.names = lb, seq, call.NameIndex(lb.Agents())
	b.mu.Unlock()
	b.progressed.Store(seq)
	b.movedAt.Store(time.Now().UnixNano())
	b.restored.Store(true)
	b.sub = b.st.Subscribe(seq)
	if b.onChange != nil && seq > 0 {
		b.onChange(everything(lb)) // pages opened meanwhile show the empty board
	}
}

// fromSnapshot is the board of the stored snapshot and its seq, or an empty board
// and 0 when there is none or it is unusable.
func (b *board) fromSnapshot() (*live.Board, uint64) { return b.fromSnapshotAfter(func() {}) }

// fromSnapshotAfter is fromSnapshot, running read between reading the snapshot and
// restoring it.
func (b *board) fromSnapshotAfter(read func()) (*live.Board, uint64) {
	seq, data, segs, err := b.st.SnapshotWithSegments()
	read()
	lc := liveConfig(b.cfg)
	readFromLog(&lc, b.st, b.cfg) // settled calls are kept compact and reloaded from the log
	var lb *live.Board
	switch {
	case err != nil:
		b.log.Error("reading the board snapshot failed, replaying the whole log", "err", err)
	case len(data) > 0:
		if lb, err = restoreSafely(lc, data, segs); err != nil {
			b.log.Warn("snapshot unusable, replaying the whole log", "err", err)
		}
	}
	if lb == nil {
		return live.New(lc), 0
	}
	return lb, seq
}

func (b *board) run(readyAt uint64) {
	defer close(b.done)
	defer b.cdrs.close()
	b.restore()
	defer func() { b.sub.Close() }() // the one open then (compactAfterReplay may replace it)
	restoredAt := b.applied
	collector := b.startReplay(readyAt)
	defer collector.end()
	defer b.cdrs.boardCaughtUp()
	cadence := snapCadence{last: time.Now()}
	tick := time.NewTicker(expiryCheck)
	defer tick.Stop()
	limitTick := time.NewTicker(limitEvery)
	defer limitTick.Stop()
	for {
		select {
		case <-b.quit:
			return
		case evs, ok := <-b.sub.C():
			if !ok {
				b.subscriptionEnded()
				return
			}
			t0 := time.Now()
			changes := b.apply(evs)
			b.m.boardApply.Observe(time.Since(t0).Seconds())
			collector.follow()
			// While it catches up, the board's changes are not pushed (a replay's are
			// many, and pages show the catching-up notice); once caught up, all of it is.
			if b.onChange != nil && len(changes) > 0 && b.isReady() {
				b.survive("push", func() { b.onChange(changes) })
				if len(evs) > 0 {
					b.m.push.Observe(time.Since(evs[len(evs)-1].ReceivedAt).Seconds())
				}
			}
			cadence.since += len(evs)
			caughtUp := b.closeReady(readyAt)
			if caughtUp {
				collector.caughtUp() // before the snapshot and the new layout: see memory.go
				b.cdrs.boardCaughtUp()
				if b.onChange != nil {
					b.survive("push", func() { b.onChange(everything(b.b)) })
				}
				b.cdrs.sweep(time.Now(), b.cfg) // a server that was down a while has a backlog for retention
			}
			b.survive("open calls check", func() { b.capOpenCalls(time.Now()) })
			switch {
			case caughtUp && cadence.since > 0: // stored before going on: compactAfterReplay restores it
				cadence.take(func() { b.survive("snapshot", b.snapshot) })
			case cadence.due(b.snapshotEvery()) && !b.snapping.Load() && !snapshotWaits(b.st, cadence.since, b.cfg.SnapshotEvery):
				cadence.take(func() { b.survive("snapshot", b.snapshotAside) })
			}
			if caughtUp {
				b.survive("rebuild after the replay", func() { b.compactAfterReplay(b.applied - restoredAt) })
				collector.end()
				b.releaseReplayMemory()
			}
			yieldToIntake(b.st, time.Since(t0), b.quit) // see intakefirst.go
		case r := <-b.reconf:
			t0 := time.Now()
			b.survive("reconfiguration", func() {
				if changes := b.rebuild(r.cfg); b.onChange != nil {
					b.onChange(changes)
				}
			})
			r.done <- time.Since(t0)
		case now := <-tick.C:
			// During the replay, the logged expiries and hangups are still to come, and
			// retention waits: the replay has the cores. Catching up asks for a sweep.
			if b.isReady() {
				b.survive("expiry check", func() { b.expire(now) })
				b.cdrs.sweep(now, b.cfg)
			}
		case <-limitTick.C:
			if b.isReady() {
				b.limitMemory() // see memory.go
			}
		}
	}
}

// startReplay sets the collector and the CDR writer for catching up (replaygc.go,
// replaybatch.go), or marks the board caught up when the restored snapshot already is.
func (b *board) startReplay(readyAt uint64) *replayGC {
	collector := replayCollector()
	if b.applied >= readyAt {
		collector.end()
		b.cdrs.boardCaughtUp()
		close(b.ready)
		b.releaseReplayMemory()
	}
	return collector
}

// closeReady marks the board caught up once it has applied the log present at start;
// true only the first time.
func (b *board) closeReady(readyAt uint64) bool {
	if b.applied < readyAt || b.isReady() {
		return false
	}
	close(b.ready)
	return true
}

// snapshotEvery is how many applied events make a periodic snapshot due: snapshot_every
// once caught up. While the board catches up it snapshots every snapshotEveryTime
// instead: a crash then replays at most that much of the replay again, and a first
// start over 1M events took some 40 snapshots (7 % of its CPU, an eighth of it on the
// board's goroutine), where two or three do.
func (b *board) snapshotEvery() int {
	if !b.isReady() {
		return math.MaxInt
	}
	return b.cfg.SnapshotEvery
}

// snapCadence decides when the board snapshots: every snapshot_every events, or every
// snapshotEveryTime when events came, but never more than one snapshotShare-th of the
// time (the next waits snapshotShare times as long as the last took).
type snapCadence struct {
	last  time.Time
	since int // events applied since the last
	took  time.Duration
}

func (c *snapCadence) due(every int) bool {
	timely := c.since >= every || (c.since > 0 && time.Since(c.last) > snapshotEveryTime)
	return timely && time.Since(c.last) >= snapshotShare*c.took
}

// take runs snapshot and starts counting again.
func (c *snapCadence) take(snapshot func()) {
	t0 := time.Now()
	snapshot()
	c.last, c.since, c.took = time.Now(), 0, time.Since(t0)
}

// apply applies a batch under the write lock and hands the calls it ended to the CDR
// writer (before the lock is released, so whoever sees the batch applied can flush
// the writer and find those CDRs stored).
func (b *board) apply(evs []call.Event) []live.Change {
	b.mu.Lock()
	defer b.mu.Unlock()
	var r appliedBatch
	if b.isReady() || !b.applyBatch(evs, &r) { // catching up: each call folded once a batch (replaybatch.go)
		b.applyEach(evs, &r)
	}
	if b.applied != b.progressed.Load() {
		b.progressed.Store(b.applied)
		b.movedAt.Store(time.Now().UnixNano())
	}
	b.cdrs.put(b.applied, r.ended, r.pres, r.cbs)
	return r.changes
}

// appliedBatch is what applying a batch of events changed, the calls it ended and
// the facts it gives the reports.
type appliedBatch struct {
	changes []live.Change
	ended   []call.Call
	pres    []store.Presence
	cbs     []report.Callback
}

// applyEach applies evs one event at a time.
func (b *board) applyEach(evs []call.Event, r *appliedBatch) {
	for _, e := range evs {
		if !b.toApply(e) {
			continue
		}
		a, err := b.applyEvent(b.b, e)
		if err != nil { // see poison.go
			r.changes = append(r.changes, b.recoverFrom(err)...)
			b.applied = e.Seq
			continue
		}
		r.pres, r.cbs = append(r.pres, a.pres...), append(r.cbs, a.cbs...)
		for _, ch := range a.changes {
			r.changes = append(r.changes, ch)
			switch {
			case ch.Kind == live.KindCall && ch.Ended:
				if c, ok := b.b.Call(ch.ID); ok {
					r.ended = append(r.ended, c)
				}
			case ch.Kind == live.KindAgent:
				b.noteName(ch.ID)
			}
		}
		b.applied = e.Seq
	}
}

// isReady tells whether the log present at start has been applied.
func (b *board) isReady() bool {
	select {
	case <-b.ready:
		return true
	default:
		return false
	}
}

// noteName keeps names current; called under the write lock.
func (b *board) noteName(id string) {
	a, ok := b.b.Agent(id)
	if !ok || a.Name == "" || b.names[id] == a.Name {
		return
	}
	n := maps.Clone(b.names)
	n[id] = a.Name
	b.names = n
}

// agentNames is every agent's display name, for renders; do not modify it.
func (b *board) agentNames() map[string]string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.names
}

// snapshot stores the board at its applied seq, after the CDRs of every call ended
// by then: a restart replays only the log after the snapshot, so those calls would
// not end (and be stored) again.
func (b *board) snapshot() {
	b.snapWG.Wait()
	if c, ok := b.captureSnapshot(); ok {
		b.storeSnapshot(c)
	}
}

// snapshotAside takes a snapshot and encodes and stores it on a goroutine of its own,
// so the board goes on applying events meanwhile (a head holding many open calls takes
// hundreds of milliseconds to encode); none if one is still being stored.
func (b *board) snapshotAside() {
	if !b.snapping.CompareAndSwap(false, true) {
		return
	}
	c, ok := b.captureSnapshot()
	if !ok {
		b.snapping.Store(false)
		return
	}
	b.snapWG.Add(1)
	go func() {
		defer b.snapWG.Done()
		defer b.snapping.Store(false)
		b.survive("snapshot", func() { b.storeSnapshot(c) })
	}()
}

// capturedSnapshot is a snapshot taken from the board, to encode and store.
type capturedSnapshot struct {
	board *live.Board
	c     live.Capture
	seq   uint64
	at    time.Time
}

// captureSnapshot takes the board's snapshot under the read lock (unlocked even if it
// panics).
func (b *board) captureSnapshot() (capturedSnapshot, bool) {
	s := capturedSnapshot{at: time.Now()}
	stored := b.st.SnapshotRecords()
	b.read(func(lb *live.Board) { s.board, s.c, s.seq = lb, lb.CaptureDelta(lb.SnapshotDue(stored)), b.applied })
	return s, s.board != nil
}

// storeSnapshot stores a captured snapshot, after the CDRs of every call ended by its
// seq: a restart replays only the log after the snapshot, so those calls would not end
// (and be stored) again. The board is told only if it is still the one captured.
func (b *board) storeSnapshot(s capturedSnapshot) {
	if !b.cdrs.flush() {
		// A restart from a snapshot past calls whose CDRs are not stored would only
		// find them by the writer's check of the log; the older snapshot replays them.
		b.log.Warn("snapshot skipped: the CDR writer is retrying a failed write")
		return
	}
	d, err := s.c.Encode()
	if err == nil {
		err = b.st.PutSnapshotSegments(s.seq, d.Head, store.Segments{Add: d.Segments, Records: d.Records, Full: d.Full})
	}
	if err != nil {
		b.log.Error("snapshot failed", "err", err)
		return
	}
	b.mu.Lock()
	if b.b == s.board {
		b.b.DeltaStored(d)
	} else { // replaced meanwhile (a rebuild): what it knows of the stored segments may be past
		b.b.SegmentsUnknown()
	}
	b.mu.Unlock()
	b.m.snapshot.Observe(time.Since(s.at).Seconds())
	b.snappedAt.Store(time.Now().UnixNano())
}

// expire appends an expiry event for every call that never received its end, so a
// replay of the log decides the same.
func (b *board) expire(now time.Time) {
	var evs []call.Event
	b.read(func(lb *live.Board) { evs = lb.Expired(now) })
	for _, e := range evs {
		d := store.Delivery{Source: e.Source, Method: "TIMER", Path: "/expire", ReceivedAt: now, Key: "expire:" + e.Call}
		if _, err := b.st.Append(context.Background(), d, []call.Event{e}); err != nil {
			b.log.Error("appending expiry failed", "call", e.Call, "err", err)
		}
	}
}

// reconfRequest asks the board goroutine to take a new configuration.
type reconfRequest struct {
	cfg  *config.Config
	done chan time.Duration
}

// reconfigure rebuilds the board under cfg (directory, queue names and thresholds,
// zones, expiry) and returns how long that took; 0 if the board has stopped. Intake
// goes on meanwhile: deliveries are logged and applied after the rebuild.
func (b *board) reconfigure(cfg *config.Config) time.Duration {
	r := reconfRequest{cfg: cfg, done: make(chan time.Duration, 1)}
	select {
	case b.reconf <- r:
		return <-r.done
	case <-b.done:
		return 0
	}
}

// rebuild replaces the board by one restored from its own snapshot under cfg: the
// board is a function of its events and its configuration, so this is the board a
// restart with cfg would show. It returns every agent, queue and active call as
// changed, so open pages redraw them. Runs on the board goroutine.
func (b *board) rebuild(cfg *config.Config) []live.Change {
	b.snapWG.Wait()
	var data []byte
	var err error
	b.read(func(lb *live.Board) { data, err = lb.Snapshot() })
	var nb *live.Board
	if err == nil {
		lc := liveConfig(cfg)
		readFromLog(&lc, b.st, cfg)
		nb, err = live.Restore(lc, data)
	}
	if err != nil {
		b.log.Error("rebuilding the board for the new configuration failed; it keeps the old directory and queues", "err", err)
		b.cfg = cfg
		return nil
	}
	b.mu.Lock()
	b.b, b.cfg, b.names = nb, cfg, call.NameIndex(nb.Agents())
	b.mu.Unlock()
	b.cdrs.newConfig(liveConfig(cfg))
	return everything(nb)
}

// everything names every agent, queue and active call of lb as changed, so open
// pages redraw them.
func everything(lb *live.Board) []live.Change {
	var changes []live.Change
	for _, a := range lb.Agents() {
		changes = append(changes, live.Change{Kind: live.KindAgent, ID: a.ID})
	}
	for _, q := range lb.Queues(time.Now()) {
		changes = append(changes, live.Change{Kind: live.KindQueue, ID: q.ID})
	}
	for _, c := range lb.Calls() {
		changes = append(changes, live.Change{Kind: live.KindCall, ID: c.ID})
	}
	return changes
}

// Close stops the board, with a last snapshot once it holds the restored state (a
// board closed while restoring keeps the snapshot it had).
func (b *board) Close() {
	b.closeOnce.Do(func() { close(b.quit) })
	<-b.done
	if b.restored.Load() {
		b.snapshot()
	}
}

// read runs fn with the board under the read lock.
func (b *board) read(fn func(*live.Board)) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	fn(b.b)
}
