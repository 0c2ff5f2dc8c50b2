package server

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"ringside/server/config"
)

// Retention: once a minute the board hands the CDR writer a sweep, which moves the
// deliveries older than a few minutes to the compressed archive and deletes the CDRs,
// raw deliveries and events older than their configured days (the store does
// it a chunk per transaction, so intake goes on between them). On the writer's
// goroutine, so a sweep never races a CDR write and never holds up the board.

// archiveAfter is how long a delivery stays uncompressed (see store/archive.go).
const archiveAfter = 5 * time.Minute

// sweepJob is one sweep: what is older than these retentions, counted back from now.
type sweepJob struct {
	now             time.Time
	cdrs, raw, evts time.Duration // 0: keep forever
}

// sweptCounts is what retention has done since the start, for /metrics.
type sweptCounts struct {
	archived, deliveries, events, cdrs, errors atomic.Uint64
}

// sweep asks the CDR writer for a sweep under cfg's retention.
func (w *cdrWriter) sweep(now time.Time, cfg *config.Config) {
	j := sweepJob{now: now, raw: cfg.RawRetention(), evts: cfg.EventRetention()}
	if cfg.CDRRetentionDays > 0 {
		j.cdrs = time.Duration(cfg.CDRRetentionDays) * 24 * time.Hour
	}
	select {
	case w.in <- cdrBatch{sweep: &j}:
	default: // the writer is busy; the next minute's sweep does it
	}
}

// prune runs a sweep. Events stay until the board's snapshot and the CDR mark are
// past them: a restart replays after the one and checks after the other.
func (w *cdrWriter) prune(j sweepJob) {
	before := func(d time.Duration) time.Time {
		if d <= 0 {
			return time.Time{}
		}
		return j.now.Add(-d)
	}
	if c := before(j.cdrs); !c.IsZero() {
		n, err := w.st.PruneCDRs(c)
		w.swept.cdrs.Add(uint64(n))
		if err != nil {
			w.swept.errors.Add(1)
			w.log.Error("pruning CDRs failed", "err", err)
		} else if n > 0 {
			w.log.Info("pruned old CDRs", "count", n, "before", c)
		}
	}
	n, err := w.st.ArchiveDeliveries(j.now.Add(-archiveAfter))
	w.swept.archived.Add(uint64(n))
	if err != nil {
		w.swept.errors.Add(1)
		w.log.Error("archiving deliveries failed", "err", err)
	} else if n > 0 {
		w.log.Debug("archived deliveries", "count", n)
	}
	keep := min(w.st.SnapshotSeq(), w.checked.Load())
	d, e, err := w.st.PruneLog(before(j.raw), before(j.evts), keep)
	w.swept.deliveries.Add(uint64(d))
	w.swept.events.Add(uint64(e))
	if err != nil {
		w.swept.errors.Add(1)
		w.log.Error("pruning the log failed", "err", err)
	}
	if d+e > 0 {
		w.log.Info("pruned the log", "deliveries", d, "events", e, "raw_before", before(j.raw), "events_before", before(j.evts))
	}
	releaseMapped(w.st, w.log) // the sweep read much of the file, and exports since the last one
}

// registerRetention registers retention's counters.
func (s *Server) registerRetention() {
	sw := &s.board.cdrs.swept
	for _, c := range []struct {
		name, help string
		n          *atomic.Uint64
	}{
		{"ringside_deliveries_archived_total", "Raw deliveries moved to the compressed archive.", &sw.archived},
		{"ringside_retention_deliveries_deleted_total", "Raw deliveries deleted by retention (raw_retention_days).", &sw.deliveries},
		{"ringside_retention_events_deleted_total", "Events deleted by retention (event_retention_days).", &sw.events},
		{"ringside_retention_cdrs_deleted_total", "CDRs deleted by retention (cdr_retention_days).", &sw.cdrs},
		{"ringside_retention_errors_total", "Retention sweeps (archive, deletions) that failed; the log says why.", &sw.errors},
	} {
		s.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { return float64(c.n.Load()) }))
	}
}
