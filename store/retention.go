package store

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retention. The log is append-only, but not forever: raw deliveries (accepted and
// rejected) and events received before a cutoff are deleted by PruneLog, oldest
// first, a chunk per transaction, so the file's freed pages take the new ones and the
// file stops growing once the oldest kept day is reached.
//
// An event is never deleted past keepSeq (the board's snapshot and the CDR mark: a
// restart replays after the one and checks after the other), nor the last one (its
// seq is where the log goes on after a restart).

// pruneChunk bounds one retention transaction.
const pruneChunk = 2000

// PruneLog deletes deliveries received before rawBefore and events received before
// eventsBefore with a seq at most keepSeq (a zero time deletes none), and says how
// many of each it deleted.
func (s *Store) PruneLog(rawBefore, eventsBefore time.Time, keepSeq uint64) (deliveries, events int, err error) {
	if !rawBefore.IsZero() {
		for _, b := range [][]byte{bArchive, bDeliveries, bRejected} {
			n, err := s.pruneChunks(func(tx *bolt.Tx) (int, error) { return pruneRecords(tx, b, rawBefore) })
			deliveries += n
			if err != nil {
				return deliveries, events, err
			}
		}
	}
	if !eventsBefore.IsZero() {
		keepSeq = min(keepSeq, s.LastSeq()-min(s.LastSeq(), 1))
		events, err = s.pruneChunks(func(tx *bolt.Tx) (int, error) { return pruneEvents(tx, eventsBefore, keepSeq) })
	}
	return deliveries, events, err
}

// pruneChunks runs fn in transactions until one deletes less than a chunk.
func (s *Store) pruneChunks(fn func(*bolt.Tx) (int, error)) (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			var err error
			n, err = fn(tx)
			return err
		})
		if err != nil {
			return total, unavailable(err)
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}

// pruneRecords deletes up to a chunk of the oldest delivery records received before
// `before`. Ids grow with time, so it stops at the first newer one.
func pruneRecords(tx *bolt.Tx, bucket []byte, before time.Time) (int, error) {
	b := tx.Bucket(bucket)
	c := b.Cursor()
	n := 0
	for k, v := c.First(); k != nil && n < pruneChunk; k, v = c.First() {
		if at, ok := recReceivedAt(v); ok && !at.Before(before) {
			break
		}
		id, rec := binary.BigEndian.Uint64(k), bytes.Clone(v)
		if err := c.Delete(); err != nil {
			return n, err
		}
		if bytes.Equal(bucket, bRejected) {
			if err := forgetRejected(tx, id, rec); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, nil
}

// pruneEvents deletes up to a chunk of the oldest events received before `before`
// with a seq at most keepSeq, with their keys in the by-call index.
func pruneEvents(tx *bolt.Tx, before time.Time, keepSeq uint64) (int, error) {
	c, byCall := tx.Bucket(bEvents).Cursor(), tx.Bucket(bCallEvents)
	n := 0
	for k, v := c.First(); k != nil && n < pruneChunk; k, v = c.First() {
		seq := binary.BigEndian.Uint64(k)
		if seq > keepSeq {
			break
		}
		ev, err := decodeEvent(seq, v)
		if err == nil && !ev.ReceivedAt.Before(before) {
			break
		}
		if err := c.Delete(); err != nil { // an unreadable one goes too: its time is unknown, its turn has come
			return n, err
		}
		if err == nil && ev.Call != "" {
			if err := byCall.Delete(append(callPrefix(ev.Call), u64(seq)...)); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, nil
}

// recReceivedAt reads when a record was received, without its body.
func recReceivedAt(rec []byte) (time.Time, bool) {
	if len(rec) > 0 && rec[0] == recArchived {
		var err error
		if rec, err = unarchiveRecord(rec); err != nil {
			return time.Time{}, false
		}
	}
	if len(rec) < recHeader {
		return time.Time{}, false
	}
	n, w := binary.Uvarint(rec[recHeader:])
	start := recHeader + w
	if w <= 0 || uint64(len(rec)-start) < n {
		return time.Time{}, false
	}
	m, err := decodeMeta(rec[0], rec[start:start+int(n)])
	return m.ReceivedAt, err == nil
}
