package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// ReleaseMapped drops the database file's pages from the process's map of it. bbolt
// reads the file through a read-only shared map, so every page a replay, a sweep or an
// export read stays counted in the process's resident memory (a first start over a
// 1M-event log leaves about 1 GiB of it) though the kernel could drop it at any time.
// Releasing the map leaves the pages in the kernel's page cache; the next read of one
// maps it again without touching the disk. Done inside a read transaction, so bbolt
// cannot remap the file meanwhile (it waits for readers before it does).
func (s *Store) ReleaseMapped() error {
	return s.db.View(func(tx *bolt.Tx) error {
		info := s.db.Info()
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, info.Data, uintptr(tx.Size()), unix.MADV_DONTNEED); errno != 0 {
			return fmt.Errorf("store: releasing the map of %s: %w", s.path, errno)
		}
		return nil
	})
}
