package store

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A damaged database must stop the start with one line that names the file and what
// to do, never with a runtime trace (a truncated file makes bbolt fault on its mmap)
// and never by quietly starting empty: a 0-byte file where a database was (a failed
// copy, a full disk) would otherwise be taken for a first start, and the board, the
// CDRs and the log would silently be gone. So while a database holds events, a marker
// beside it (heldMarker) says so, and an empty file next to that marker is refused.

// heldMarker is the name of the marker beside path.
func heldMarker(path string) string { return path + ".held" }

// remedy is what the operator can do about a damaged file.
const remedy = "restore a backup (`ringside restore FILE`), or run `ringside check` for details"

// checkBeforeOpen refuses a file bbolt would fault on, or an empty file that replaced
// a database.
func checkBeforeOpen(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // none yet: a first start (bbolt creates it)
	}
	if fi.Size() == 0 {
		held, err := os.ReadFile(heldMarker(path))
		if err != nil {
			return nil
		}
		return fmt.Errorf("%s is empty (0 bytes), but it held a database (%s): %s; or, to start with no data, delete %s",
			path, strings.TrimSpace(string(held)), remedy, heldMarker(path))
	}
	if err := checkLength(path, fi.Size()); err != nil {
		return fmt.Errorf("%s: %s", strings.TrimSuffix(err.Error(), " (restore a backup)"), remedy)
	}
	return nil
}

// openBolt opens the file, turning bbolt's refusals and panics (a damaged meta or
// freelist page) into one line.
func openBolt(path string, opt Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("%s is damaged (%v): %s", path, p, remedy)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      time.Second,
		NoSync:       opt.NoSync,
		FreelistType: bolt.FreelistMapType, // faster than the array freelist in a large file
	})
	if err != nil && !errors.Is(err, errLockTimeout) {
		return nil, fmt.Errorf("%s cannot be opened as a Ringside database (%v): %s", path, err, remedy)
	}
	return db, err
}

// noteHeld writes the marker once the database holds events (replaced atomically).
func noteHeld(path string, lastSeq uint64, size int64) {
	if lastSeq == 0 {
		return
	}
	msg := "at least " + strconv.FormatUint(lastSeq, 10) + " events and " + strconv.FormatInt(size, 10) + " bytes on " +
		time.Now().UTC().Format(time.RFC3339) + "\n"
	tmp := heldMarker(path) + ".tmp"
	if os.WriteFile(tmp, []byte(msg), 0o600) == nil {
		os.Rename(tmp, heldMarker(path))
	}
}

// guard runs fn, turning a bbolt panic (a damaged page met while reading) into an
// error that names the file and the remedy.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s is damaged (%v): %s", path, p, remedy)
		}
	}()
	return fn()
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

var errLockTimeout = berrors.ErrTimeout
