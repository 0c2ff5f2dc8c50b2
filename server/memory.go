package server

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"time"

	"ringside/server/call"
	"ringside/store"
)

// What a server holds is what its board holds, not what it read getting there.
//
// A replay reads the whole log through bbolt's map of the file and allocates far more
// than the board it builds keeps; a retention sweep or an export reads much of the
// file too. Both stay counted in the process's resident memory until given back: the
// map's pages are released after catching up and after every retention sweep (each
// minute; the kernel keeps the pages cached, see store.ReleaseMapped), and the heap the
// restore and the replay grew is returned to the system once, after catching up.
//
// Once caught up, the server keeps within memory_limit_mb (Go's soft memory limit):
// by default Go lets the heap grow to twice what is live before collecting, which for
// a 1M-event board is twice some 300 MiB. The limit never goes below a quarter above
// the live heap plus what the runtime holds besides its objects and free pages (spans'
// unused room, goroutine stacks, its own books: 60-80 MiB with a thousand connections
// open; the limit counts them too), so a board bigger than the budget costs memory,
// not a collector that runs all the time. It is set again every limitEvery, because a
// burst grows the live heap within seconds: a full board (300 MiB) taking a vendor's
// backlog on a thousand connections holds 100-250 MiB more, and under a limit set a
// minute before, the collector ran back to back and took the log's writer with it.
// The replay runs without it: collecting that often would slow the first start
// (replaygc.go has how the replay collects).

// compactAfterReplay replaces a board that replayed more than snapshot_every events by
// the same board restored from the snapshot just stored. Go's collector does not move
// what it keeps: a long replay leaves the board's objects scattered over a heap its
// garbage had filled, and the heap stays that size (over 1M events, 420 MiB of board
// over 660 MiB of pages against 416 after a restart). The old board is dropped and
// collected first, or the new one would fill the holes between the old one's objects
// and end as scattered: readers wait for the restore (a restart's, once).
func (b *board) compactAfterReplay(replayed uint64) {
	if replayed <= uint64(b.cfg.SnapshotEvery) || b.st.SnapshotSeq() != b.applied {
		return // a short replay, or no snapshot stored at this seq (a failed CDR write)
	}
	t0 := time.Now()
	b.snapWG.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	lb, seq := b.fromSnapshotAfter(func() { b.b = nil; runtime.GC() })
	b.b, b.names = lb, call.NameIndex(lb.Agents())
	if seq != b.applied { // the snapshot just stored did not restore: replay the log as a start would
		b.log.Error("the board's snapshot did not restore after a replay; replaying the log again", "seq", b.applied)
		b.applied = seq
		b.progressed.Store(seq)
		b.sub.Close()
		b.sub = b.st.Subscribe(seq)
		return
	}
	b.compacted.Add(1)
	b.log.Info("board laid out anew from its snapshot after a replay", "events", replayed, "took", time.Since(t0).Round(time.Millisecond))
}

// releaseReplayMemory gives back what restoring and catching up left behind. Runs once,
// on the board goroutine, when it has caught up (after the snapshot that follows).
func (b *board) releaseReplayMemory() {
	debug.FreeOSMemory()
	releaseMapped(b.st, b.log)
	b.limitMemory()
}

// releaseMapped drops the file's pages from the process's map of it.
func releaseMapped(st *store.Store, log *slog.Logger) {
	if err := st.ReleaseMapped(); err != nil {
		log.Warn("releasing the database map failed", "err", err)
	}
}

// limitEvery is how often the limit follows the live heap once caught up.
const limitEvery = 2 * time.Second

// limitMemory sets Go's soft memory limit from memory_limit_mb and the live heap.
func (b *board) limitMemory() {
	if b.cfg.MemoryLimitMB < 0 || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	live, besides := heapUse()
	debug.SetMemoryLimit(memoryLimit(int64(b.cfg.MemoryLimitMB)<<20, live, besides))
}

// memoryLimit is the budget, or a quarter above the live heap (plus what the runtime
// holds besides the heap, which the limit counts too) when that is more.
func memoryLimit(budget, live, besides int64) int64 { return max(budget, live+live/4+besides) }

// heapUse is the heap the last collection found live, and the memory the runtime holds
// besides the heap's objects and its free pages (the limit counts it as the runtime
// does: spans' unused room, stacks, its books), in bytes.
func heapUse() (live, besides int64) {
	s := []runtimemetrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	runtimemetrics.Read(s)
	v := make([]int64, len(s))
	for i := range s {
		if s[i].Value.Kind() != runtimemetrics.KindUint64 {
			return 0, 0
		}
		v[i] = int64(s[i].Value.Uint64())
	}
	return v[0], max(0, v[1]-v[2]-v[3]-v[4])
}
