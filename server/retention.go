package server

import (
	"time"

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
		if n, err := w.st.PruneCDRs(c); err != nil {
			w.log.Error("pruning CDRs failed", "err", err)
		} else if n > 0 {
			w.log.Info("pruned old CDRs", "count", n, "before", c)
		}
	}
	if n, err := w.st.ArchiveDeliveries(j.now.Add(-archiveAfter)); err != nil {
		w.log.Error("archiving deliveries failed", "err", err)
	} else if n > 0 {
		w.log.Debug("archived deliveries", "count", n)
	}
	keep := min(w.st.SnapshotSeq(), w.checked.Load())
	d, e, err := w.st.PruneLog(before(j.raw), before(j.evts), keep)
	if err != nil {
		w.log.Error("pruning the log failed", "err", err)
	}
	if d+e > 0 {
		w.log.Info("pruned the log", "deliveries", d, "events", e, "raw_before", before(j.raw), "events_before", before(j.evts))
	}
}
