package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the database to path and returns the seq of the
// last event it holds. It runs in one read transaction, so intake goes on while it
// copies (bbolt readers do not block the writer).
func (s *Store) Backup(path string) (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		seq, err = writeCopy(tx, path)
		return err
	})
	return seq, err
}

// BackupFile copies the database file src of a stopped server to path, read-only.
func BackupFile(src, path string) (uint64, error) {
	db, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, fmt.Errorf("%s: %w", src, ErrLocked)
	}
	if err != nil {
		return 0, fmt.Errorf("store: open %s: %w", src, err)
	}
	defer db.Close()
	var seq uint64
	err = db.View(func(tx *bolt.Tx) (err error) {
		seq, err = writeCopy(tx, path)
		return err
	})
	return seq, err
}

// writeCopy writes tx's view of the file to path+".part", fsyncs it and renames it,
// so path is either the whole copy or absent. It returns the last event's seq.
func writeCopy(tx *bolt.Tx, path string) (seq uint64, err error) {
	if b := tx.Bucket(bEvents); b != nil {
		if k, _ := b.Cursor().Last(); len(k) == 8 {
			seq = binary.BigEndian.Uint64(k)
		}
	}
	part := path + ".part"
	defer func() {
		if err != nil {
			os.Remove(part)
			err = fmt.Errorf("store: backup to %s: %w", path, err)
		}
	}()
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	_, err = tx.WriteTo(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return seq, os.Rename(part, path)
}

// ErrLocked means a running server holds the file.
var ErrLocked = errors.New("locked by a running ringside: stop it first, or back it up through its API (ringside backup -url)")

// Report is what Inspect found in a database file.
type Report struct {
	Path        string
	FileBytes   int64
	DataBytes   int64 // the file up to its last page in use; bbolt grows the file ahead of it
	PageSize    int
	LastSeq     uint64 // the last event's seq
	Events      int    // events the log holds (fewer than LastSeq once retention deleted old ones)
	SnapshotSeq uint64 // the board snapshot's seq (0: none)
	Buckets     []BucketReport
	FreePages   int // pages bbolt holds free for reuse
}

// BucketReport is one bucket's size.
type BucketReport struct {
	Name  string
	Keys  int
	Bytes int64 // bytes of the pages it uses (leaf and branch, in use)
	Alloc int64 // bytes of the pages it holds (in use or not)
}

// Inspect opens a database file read-only (it fails if a running server holds it),
// verifies every page with bbolt's consistency check and reports its sizes.
func Inspect(path string) (Report, error) {
	r := Report{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return r, err
	}
	r.FileBytes = fi.Size()
	if r.FileBytes == 0 {
		return r, fmt.Errorf("%s is empty (0 bytes): not a Ringside database", path)
	}
	if err := checkLength(path, r.FileBytes); err != nil {
		return r, err // bbolt would fault reading past the end of the file
	}
	// A read-only open leaves the freelist unread unless asked: FreePages would say 0.
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return r, fmt.Errorf("%s: %w", path, ErrLocked)
	}
	if err != nil {
		return r, fmt.Errorf("%s is not a readable bbolt file: %w", path, err)
	}
	defer db.Close()
	r.PageSize = db.Info().PageSize
	r.FreePages = db.Stats().FreePageN
	err = db.View(func(tx *bolt.Tx) error {
		var problems []error
		for e := range tx.Check() {
			problems = append(problems, e)
			if len(problems) == 10 {
				break
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("damaged: %w", errors.Join(problems...))
		}
		r.DataBytes = tx.Size()
		if b := tx.Bucket(bEvents); b != nil {
			if k, _ := b.Cursor().Last(); len(k) == 8 {
				r.LastSeq = binary.BigEndian.Uint64(k)
			}
			r.Events = b.Stats().KeyN
		}
		if b := tx.Bucket(bMeta); b != nil {
			if v := b.Get(keySnapSeq); len(v) == 8 {
				r.SnapshotSeq = binary.BigEndian.Uint64(v)
			}
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			st := b.Stats()
			r.Buckets = append(r.Buckets, BucketReport{Name: string(name), Keys: st.KeyN,
				Bytes: int64(st.LeafInuse + st.BranchInuse), Alloc: int64(st.LeafAlloc + st.BranchAlloc)})
			return nil
		})
	})
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if r.bucket(string(bEvents)) == nil {
		return r, fmt.Errorf("%s has no events bucket: not a Ringside database", path)
	}
	sort.Slice(r.Buckets, func(i, j int) bool { return r.Buckets[i].Bytes > r.Buckets[j].Bytes })
	return r, nil
}

// BytesPerEvent is the file's data (up to its last page in use, free pages included)
// divided by the events it holds (0 for an empty log). It leaves out the space bbolt
// allocates ahead (up to 16 MiB), which would dominate a small file.
func (r Report) BytesPerEvent() float64 {
	return r.perEvent(r.DataBytes)
}

// InUseBytesPerEvent is the pages in use divided by the events (0 for an empty log):
// what the database costs per event, everything included (raw bodies, indexes, CDRs,
// report buckets, the snapshot). Free pages are left out: a running server writes its
// new pages into them (the archive frees the raw bodies' pages every few minutes), and
// `ringside compact` gives them back to the file system. The benchmark's
// db_bytes_per_event is this figure.
func (r Report) InUseBytesPerEvent() float64 {
	return r.perEvent(r.DataBytes - int64(r.FreePages)*int64(r.PageSize))
}

func (r Report) perEvent(bytes int64) float64 {
	if r.Events == 0 {
		return 0
	}
	return float64(bytes) / float64(r.Events)
}

func (r Report) bucket(name string) *BucketReport {
	for i := range r.Buckets {
		if r.Buckets[i].Name == name {
			return &r.Buckets[i]
		}
	}
	return nil
}

// Restore puts the database file from into the data file at path, for a stopped
// server: from is inspected first, the current file (if any) is kept beside it as
// path+".before-restore-TIME", and the copy is fsynced and renamed into place.
func Restore(from, path string) (kept string, err error) {
	if _, err := Inspect(from); err != nil {
		return "", fmt.Errorf("not restoring: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		if _, err := Inspect(path); errors.Is(err, ErrLocked) {
			return "", fmt.Errorf("not restoring: %w", err) // a damaged file is replaced, a running server's is not
		}
		kept = path + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", err
	}
	part := path + ".part"
	if err := copyFile(from, part); err != nil {
		os.Remove(part)
		return "", err
	}
	if kept != "" {
		if err := os.Rename(path, kept); err != nil {
			os.Remove(part)
			return "", err
		}
	}
	return kept, os.Rename(part, path)
}

// checkLength compares the file's length with the pages its newest valid meta page
// says it holds: a truncated file would make bbolt read past its end (SIGBUS).
func checkLength(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// a page header is 16 bytes; the meta after it: magic, version, page size, flags
	// (4 bytes each), root bucket (16), freelist (8), high-water page id (8), txid (8)
	var best struct{ pages, txid uint64 }
	var pageSize uint32
	for _, at := range []int64{0, -1} {
		if at < 0 {
			if pageSize == 0 {
				pageSize = 4096
			}
			at = int64(pageSize)
		}
		buf := make([]byte, 72)
		if _, err := f.ReadAt(buf, at); err != nil {
			continue
		}
		if binary.LittleEndian.Uint32(buf[16:]) != 0xED0CDAED {
			continue
		}
		if pageSize == 0 {
			pageSize = binary.LittleEndian.Uint32(buf[24:])
		}
		pages, txid := binary.LittleEndian.Uint64(buf[56:]), binary.LittleEndian.Uint64(buf[64:])
		if txid >= best.txid {
			best.pages, best.txid = pages, txid
		}
	}
	if pageSize == 0 || best.pages == 0 {
		return fmt.Errorf("%s is not a bbolt file (no valid meta page): not a Ringside database", path)
	}
	if need := int64(best.pages) * int64(pageSize); size < need {
		return fmt.Errorf("%s is truncated: %d bytes, its pages need %d (restore a backup)", path, size, need)
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err = dst.ReadFrom(src); err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}
