package store

import (
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// A stored event that cannot be decoded (a damaged byte on disk, a value from a newer
// format) must not stop whoever reads the log: the board would freeze at it for good,
// and every page of /api/v1/events holding it would fail. So readers get a stand-in
// in its place, with its seq: an event of type Unknown (which the board does not
// apply) named UnreadableName, carrying why. Unreadable tells a stand-in apart; the
// board logs it, counts it and shows it to admins, then goes on with what follows.

// UnreadableName is the Name of the stand-in for a stored event that cannot be read.
const UnreadableName = "ringside.unreadable"

// unreadableTag is the stand-in's tag holding the decoding error.
const unreadableTag = "error"

// decodeStored decodes a stored event value, or gives its stand-in.
func decodeStored(seq uint64, v []byte) (ev call.Event) {
	defer func() {
		if p := recover(); p != nil { // a damaged length sent the decoder astray
			ev = standIn(seq, fmt.Errorf("%v", p))
		}
	}()
	ev, err := decodeEvent(seq, v)
	if err == nil {
		return ev
	}
	return standIn(seq, err)
}

// standIn is the stand-in for stored event seq, unreadable for err.
func standIn(seq uint64, err error) call.Event {
	return call.Event{Seq: seq, Type: call.Unknown, Name: UnreadableName,
		Tags: map[string]string{unreadableTag: fmt.Sprintf("stored event %d cannot be read: %v", seq, err)}}
}

// Unreadable reports whether e stands in for a stored event that could not be read,
// and why.
func Unreadable(e call.Event) (reason string, ok bool) {
	if e.Name != UnreadableName || e.Type != call.Unknown {
		return "", false
	}
	return e.Tags[unreadableTag], true
}

// view runs fn in a read transaction, turning a panic of bbolt's (a damaged page it
// cannot parse) into an error that says what to do, so a damaged page does not end
// the process.
func (s *Store) view(fn func(tx *bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // a page past the file's end: a panic, not a crash
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s is damaged (%v): run `ringside check`, or restore a backup", s.path, p)
		}
	}()
	return s.db.View(fn)
}
