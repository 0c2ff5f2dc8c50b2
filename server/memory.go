package server

import (
	"log/slog"
	"runtime/debug"

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

// releaseReplayMemory gives back what restoring and catching up left behind. Runs once,
// on the board goroutine, when it has caught up (after the snapshot that follows).
func (b *board) releaseReplayMemory() {
	debug.FreeOSMemory()
	releaseMapped(b.st, b.log)
}

// releaseMapped drops the file's pages from the process's map of it.
func releaseMapped(st *store.Store, log *slog.Logger) {
	if err := st.ReleaseMapped(); err != nil {
		log.Warn("releasing the database map failed", "err", err)
	}
}
