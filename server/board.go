package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/store"
)

// snapshotEvery bounds how much log a restart replays.
const (
	snapshotEveryTime = 30 * time.Second
	expiryCheck       = time.Minute
)

// board runs live.Board as the log's single writer: it applies committed events in seq
// order, stores ended calls as CDRs, snapshots periodically and appends expiry events.
// Readers (API, pages) take the read lock.
type board struct {
	mu      sync.RWMutex
	b       *live.Board
	applied uint64

	st       *store.Store
	sub      *store.Subscription
	log      *slog.Logger
	cfg      *config.Config
	onChange func([]live.Change) // called outside the lock, in log order
	ready    chan struct{}       // closed once the log present at start is applied
	done     chan struct{}
}

// liveConfig turns the configuration into the board's.
func liveConfig(cfg *config.Config) live.Config {
	lc := live.Config{Queues: map[string]live.QueueConfig{}, Locations: map[string]*time.Location{}, ExpireAfter: cfg.CallExpiry.Duration}
	lc.Default = live.QueueConfig{SLThresholdS: 20, AbandonAfterS: 5}
	for _, a := range cfg.Agents {
		lc.Directory = append(lc.Directory, live.DirectoryEntry{ID: a.ID, Name: a.Name, Match: a.Match})
	}
	for _, q := range cfg.Queues {
		qc := lc.Default
		if q.SLThresholdS > 0 {
			qc.SLThresholdS = q.SLThresholdS
		}
		if q.AbandonAfterS > 0 {
			qc.AbandonAfterS = q.AbandonAfterS
		}
		lc.Queues[q.ID] = qc
	}
	for _, s := range cfg.Sources {
		lc.Locations[s.Name] = s.Location
	}
	return lc
}

// startBoard loads the latest snapshot and replays the log after it.
func startBoard(cfg *config.Config, st *store.Store, log *slog.Logger) (*board, error) {
	lc := liveConfig(cfg)
	seq, data, err := st.Snapshot()
	if err != nil {
		return nil, err
	}
	lb := live.New(lc)
	if len(data) > 0 {
		if lb, err = live.Restore(lc, data); err != nil {
			log.Warn("snapshot unusable, replaying the whole log", "err", err)
			lb, seq = live.New(lc), 0
		}
	}
	b := &board{b: lb, applied: seq, st: st, log: log, cfg: cfg, ready: make(chan struct{}), done: make(chan struct{})}
	b.sub = st.Subscribe(seq)
	return b, nil
}

// start runs the board; set onChange before.
func (b *board) start() { go b.run(b.st.LastSeq()) }

func (b *board) run(readyAt uint64) {
	defer close(b.done)
	if b.applied >= readyAt {
		close(b.ready)
	}
	lastSnap, sinceSnap := time.Now(), 0
	tick := time.NewTicker(expiryCheck)
	defer tick.Stop()
	for {
		select {
		case evs, ok := <-b.sub.C():
			if !ok {
				return
			}
			changes, ended := b.apply(evs)
			if len(ended) > 0 {
				if err := b.st.PutCDRs(context.Background(), ended); err != nil {
					b.log.Error("storing CDRs failed", "err", err)
				}
			}
			if b.onChange != nil && len(changes) > 0 {
				b.onChange(changes)
			}
			sinceSnap += len(evs)
			if b.applied >= readyAt {
				select {
				case <-b.ready:
				default:
					close(b.ready)
				}
			}
			if sinceSnap >= b.cfg.SnapshotEvery || (sinceSnap > 0 && time.Since(lastSnap) > snapshotEveryTime) {
				b.snapshot()
				lastSnap, sinceSnap = time.Now(), 0
			}
		case now := <-tick.C:
			b.expire(now)
			if days := b.cfg.CDRRetentionDays; days > 0 {
				if n, err := b.st.PruneCDRs(now.AddDate(0, 0, -days)); err != nil {
					b.log.Error("pruning CDRs failed", "err", err)
				} else if n > 0 {
					b.log.Info("pruned old CDRs", "count", n, "days", days)
				}
			}
		}
	}
}

// apply applies a batch under the write lock and collects the calls to store as CDRs.
func (b *board) apply(evs []call.Event) ([]live.Change, []call.Call) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var changes []live.Change
	var ended []call.Call
	for _, e := range evs {
		if e.Seq <= b.applied {
			continue
		}
		for _, ch := range b.b.Apply(e) {
			changes = append(changes, ch)
			if ch.Kind == "call" && ch.Ended {
				if c, ok := b.b.Call(ch.ID); ok {
					ended = append(ended, c)
				}
			}
		}
		b.applied = e.Seq
	}
	return changes, ended
}

func (b *board) snapshot() {
	b.mu.RLock()
	data, err := b.b.Snapshot()
	seq := b.applied
	b.mu.RUnlock()
	if err == nil {
		err = b.st.PutSnapshot(seq, data)
	}
	if err != nil {
		b.log.Error("snapshot failed", "err", err)
	}
}

// expire appends an expiry event for every call that never received its end, so a
// replay of the log decides the same.
func (b *board) expire(now time.Time) {
	b.mu.RLock()
	evs := b.b.Expired(now)
	b.mu.RUnlock()
	for _, e := range evs {
		d := store.Delivery{Source: e.Source, Method: "TIMER", Path: "/expire", ReceivedAt: now, Key: "expire:" + e.Call}
		if _, err := b.st.Append(context.Background(), d, []call.Event{e}); err != nil {
			b.log.Error("appending expiry failed", "call", e.Call, "err", err)
		}
	}
}

// Close stops the board after the subscription ends, with a last snapshot.
func (b *board) Close() {
	b.sub.Close()
	<-b.done
	b.snapshot()
}

// read runs fn with the board under the read lock.
func (b *board) read(fn func(*live.Board)) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	fn(b.b)
}
