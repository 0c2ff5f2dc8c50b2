package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Compact rewrites the database file at path without its free pages, for a stopped
// server (a running one holds the file: ErrLocked). bbolt reuses freed pages but never
// gives them back to the filesystem, so a file that once held more (before retention
// caught up, or a large import) keeps its size; the copy holds only what is in use.
// The copy is written beside the file (it needs that much free space), checked, and
// renamed over it; with keep, the old file stays as path+".before-compact-TIME".
func Compact(path string, keep bool) (before, after Report, kept string, err error) {
	if before, err = Inspect(path); err != nil {
		return before, after, "", fmt.Errorf("not compacting: %w", err)
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return before, after, "", fmt.Errorf("%s: %w", path, ErrLocked)
	}
	if err != nil {
		return before, after, "", err
	}
	defer src.Close()
	part := path + ".compact.part"
	os.Remove(part)
	if err = compactInto(part, src); err == nil {
		after, err = Inspect(part)
	}
	if err == nil && (after.LastSeq != before.LastSeq || after.Events != before.Events) {
		err = fmt.Errorf("the copy holds %d events up to seq %d, the file %d up to %d", after.Events, after.LastSeq, before.Events, before.LastSeq)
	}
	if err != nil {
		os.Remove(part)
		return before, after, "", fmt.Errorf("compacting %s: %w", path, err)
	}
	if keep {
		kept = path + ".before-compact-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Link(path, kept); err != nil {
			os.Remove(part)
			return before, after, "", err
		}
	}
	after.Path = path
	return before, after, kept, os.Rename(part, path)
}

// compactInto copies src's buckets into a new file at path, fsynced.
func compactInto(path string, src *bolt.DB) error {
	dst, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
