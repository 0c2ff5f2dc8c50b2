package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A snapshot's segments: the board stores most of itself (its settled calls) as
// segments added one per snapshot, each a zstd frame of the board's own encoding,
// under a counter that only grows, so they read back oldest first. The meta bucket
// keeps how many records the segments hold, so the board knows when to write them all
// again (Full), which replaces every stored one. What a segment holds is the board's
// business; the store only keeps them with the snapshot's head, in one transaction.
var (
	bSegments     = []byte("snapshot_segments")
	keySegNext    = []byte("snapshot_segment_next")
	keySegRecords = []byte("snapshot_segment_records")
)

// Segments are what a snapshot adds to the stored segments.
type Segments struct {
	Add     [][]byte // each one segment
	Records int      // records in Add, as the board counts them
	Full    bool     // Add replaces every stored segment
}

// putSegments stores segs (packed: Add compressed) in tx.
func putSegments(tx *bolt.Tx, packed [][]byte, segs Segments) error {
	meta := tx.Bucket(bMeta)
	records := uint64(segs.Records)
	if segs.Full {
		if tx.Bucket(bSegments) != nil {
			if err := tx.DeleteBucket(bSegments); err != nil {
				return err
			}
		}
	} else if v := meta.Get(keySegRecords); len(v) == 8 {
		records += binary.BigEndian.Uint64(v)
	}
	b, err := tx.CreateBucketIfNotExists(bSegments)
	if err != nil {
		return err
	}
	next := uint64(0)
	if v := meta.Get(keySegNext); len(v) == 8 {
		next = binary.BigEndian.Uint64(v)
	}
	for _, seg := range packed {
		if err := b.Put(u64(next), seg); err != nil {
			return err
		}
		next++
	}
	if err := meta.Put(keySegNext, u64(next)); err != nil {
		return err
	}
	return meta.Put(keySegRecords, u64(records))
}

// SnapshotSegments returns the stored segments, oldest first.
func (s *Store) SnapshotSegments() ([][]byte, error) {
	var packed [][]byte
	err := s.db.View(func(tx *bolt.Tx) error { packed = readSegments(tx); return nil })
	if err != nil {
		return nil, unavailable(err)
	}
	return unpackSegments(packed)
}

// SnapshotWithSegments is Snapshot and SnapshotSegments read in one transaction, so a
// snapshot stored meanwhile cannot mix its segments with an older head.
func (s *Store) SnapshotWithSegments() (seq uint64, head []byte, segments [][]byte, err error) {
	var packed [][]byte
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		if seq, head, err = readSnapshot(tx); err == nil {
			packed = readSegments(tx)
		}
		return err
	})
	if err != nil {
		return seq, nil, nil, unavailable(err)
	}
	if head, err = unpackSnapshot(head); err != nil {
		return seq, nil, nil, fmt.Errorf("store: the board snapshot at seq %d: %w", seq, err)
	}
	segments, err = unpackSegments(packed)
	return seq, head, segments, err
}

// readSegments copies the stored segments out of tx, still compressed.
func readSegments(tx *bolt.Tx) [][]byte {
	var packed [][]byte
	if b := tx.Bucket(bSegments); b != nil {
		_ = b.ForEach(func(_, v []byte) error {
			packed = append(packed, append([]byte(nil), v...))
			return nil
		})
	}
	return packed
}

// unpackSegments decompresses segments, dropping each compressed one as it goes.
func unpackSegments(packed [][]byte) ([][]byte, error) {
	dec, err := snapshotDecoder()
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	out := make([][]byte, len(packed))
	for i, p := range packed {
		if out[i], err = dec.DecodeAll(p, nil); err != nil {
			return nil, fmt.Errorf("store: snapshot segment %d of %d: %w", i+1, len(packed), err)
		}
		packed[i] = nil
	}
	return out, nil
}

// SnapshotRecords is how many records the stored segments hold.
func (s *Store) SnapshotRecords() int { return int(s.metaSeq(keySegRecords)) }
