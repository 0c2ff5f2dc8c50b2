package server

import (
	"math"
	"os"
	"runtime/debug"
	"time"

	"ringside/store"
)

// Intake first. A webhook is answered once its delivery is durably in the log; the
// board's applies (and the pushes they make) and the CDR writer follow from the log on
// their own goroutines. They all share the same cores, and Go's scheduler has no
// priorities: while a vendor sends its backlog as fast as the store takes it, the
// background work took a third of the CPU the deliveries needed, so the PBX waited
// longer for its answers (and retried) for work that could wait.
//
// So while intake is saturated (store.Busy: dozens of deliveries or more waiting for
// their group commit), the board and the CDR writer pace themselves: after a stretch
// of work that took t, each waits yieldFactor·t (at most maxYield) before the next,
// using at most 1/(1+yieldFactor) of a core meanwhile. Each pause also lets more of
// the log gather for the next stretch, which then costs less per event. At normal load
// nothing waits, so pushes stay immediate; once the burst ends the board catches up at
// full speed (/readyz says "behind" while it lags by more than behindBy events). The
// CDR writer also holds what it gathers until the burst ends (cdrwriter.go, holds):
// its transactions would hold the write lock the log's commits need.
const (
	yieldFactor = 4
	maxYield    = 250 * time.Millisecond
)

// A periodic snapshot encodes the board and writes it in one transaction, which the
// log's commits wait for: during a burst it waits too, up to burstSnapshots times
// snapshot_every events (what a restart would then replay at most).
const burstSnapshots = 4

// snapshotWaits tells whether a due periodic snapshot, since events after the last,
// waits for the burst to end.
func snapshotWaits(st *store.Store, since, every int) bool {
	return intakeBusy(st) && since < burstSnapshots*every
}

// intakeBusy tells whether deliveries crowd the log's writer.
func intakeBusy(st *store.Store) bool { return st != nil && st.Busy() }

// yieldToIntake pauses background work that took `took` while intake is saturated;
// it returns early when quit closes.
func yieldToIntake(st *store.Store, took time.Duration, quit <-chan struct{}) {
	if !intakeBusy(st) {
		return
	}
	t := time.NewTimer(min(yieldFactor*took, maxYield))
	defer t.Stop()
	select {
	case <-t.C:
	case <-quit:
	}
}

// During a burst Go's collector would run each time the heap doubled over what is
// live (GOGC=100), marking the whole board again and again; deliveries are short-lived
// garbage. So while intake is saturated the heap may grow burstGCPercent over the live
// heap before a collection, and back to Go's default once the burst ends. Go's soft
// memory limit (memory_limit_mb, set once the board has caught up: memory.go) still
// bounds the heap: without one (-1) nothing changes, and neither does it when GOGC is
// set or before the board has caught up (the replay collects its own way: replaygc.go).
const (
	burstGCPercent = 400
	burstCheck     = 100 * time.Millisecond
)

// collectLessDuringBursts follows intake's saturation, once ready closes, until stop
// closes.
func collectLessDuringBursts(st *store.Store, ready, stop <-chan struct{}) {
	if os.Getenv("GOGC") != "" {
		return
	}
	select {
	case <-ready:
	case <-stop:
		return
	}
	t := time.NewTicker(burstCheck)
	defer t.Stop()
	raised := false
	for {
		select {
		case <-stop:
			if raised {
				debug.SetGCPercent(100)
			}
			return
		case <-t.C:
		}
		limited := debug.SetMemoryLimit(-1) < math.MaxInt64 // -1 reads it
		if want := limited && intakeBusy(st); want != raised {
			raised = want
			if raised {
				debug.SetGCPercent(burstGCPercent)
			} else {
				debug.SetGCPercent(100)
			}
		}
	}
}
