package server

import (
	"os"
	"runtime/debug"
)

// How the replay collects garbage.
//
// A replay allocates far more than the board it builds keeps (a first start over a
// 1M-event log: some 19 GB for a 450 MiB board), and at Go's default (GOGC 100: collect
// when the heap is twice what was live) the collector took a third of its CPU. While
// the board catches up, it collects when the heap has grown replayGCPercent over what
// was live, or when it reaches replayHeap or half again the live heap, whichever of
// those is larger, if that comes first. A small board's replay then collects a fifth as
// often; over 1M events the heap peaks about where it went at the default (1.6 GiB), not
// higher: the runtime keeps its bookkeeping of the largest heap it ever had for good
// (span structures and mark bits: a 4 GiB peak left 90 MiB of them against 37, and the
// server over its 512 MiB after catching up). Once caught up, GOGC returns to
// its default before the snapshot and the board laid out anew (memory.go), which keep
// the replay's limit; then the server's own limit replaces it.
//
// GOGC and GOMEMLIMIT in the environment win: each is left as set.
const (
	replayGCPercent = 400
	replayHeap      = 1400 << 20
)

// replayGC is the collector's setting while the board catches up.
type replayGC struct {
	on                     bool
	gcPercent, limit, heap int64 // the settings to give back; the live heap the limit was last raised for
	setPercent, setLimit   bool
}

// replayCollector sets the replay's collector (see above).
func replayCollector() *replayGC {
	r := &replayGC{on: true, setPercent: os.Getenv("GOGC") == "", setLimit: os.Getenv("GOMEMLIMIT") == ""}
	if r.setPercent {
		r.gcPercent = int64(debug.SetGCPercent(replayGCPercent))
	}
	if r.setLimit {
		r.limit = debug.SetMemoryLimit(-1)
		debug.SetMemoryLimit(replayHeap)
	}
	return r
}

// follow raises the limit to half again the live heap once that is over two thirds of
// replayHeap (in steps of an eighth), so the collector never runs all the time; called
// after each batch the board applies.
func (r *replayGC) follow() {
	if !r.on || !r.setLimit {
		return
	}
	if live, _ := heapUse(); live+live/2 > replayHeap && live > r.heap+r.heap/8 {
		r.heap = live
		debug.SetMemoryLimit(live + live/2)
	}
}

// caughtUp gives GOGC back (once): the snapshot on catching up and the board laid out
// anew from it collect as usual, still under the replay's limit.
func (r *replayGC) caughtUp() {
	if r.on && r.setPercent {
		debug.SetGCPercent(int(r.gcPercent))
	}
	r.on = false
}

// end gives the collector back all its settings (once), before memory.go sets the
// server's own limit.
func (r *replayGC) end() {
	r.caughtUp()
	if r.setLimit {
		debug.SetMemoryLimit(r.limit)
		r.setLimit = false
	}
}
