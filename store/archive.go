package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The delivery archive. A raw body is kept once, as received, in its delivery record;
// a few minutes after it arrived (dedupe and the API have had their look) the record
// moves from the deliveries bucket to deliveries_archive, compressed with zstd over a
// dictionary (see zdict.go), which a body of a few hundred bytes needs to compress at
// all. Intake never compresses: moving is the sweeper's work, a chunk per
// transaction, oldest first, so archive ids are all below the deliveries' ids and a
// reader goes through the archive, then the deliveries.
//
// An archived record is: recArchived (1) | the seq header (12) | the original
// record's version (1) | zstd frame of the original record after its header.
var bArchive = []byte("deliveries_archive")

const recArchived = 3

// archiveRecord compresses an accepted delivery record with dictionary dict.
func archiveRecord(rec []byte, dict uint32) ([]byte, error) {
	if len(rec) < recHeader || rec[0] == recArchived {
		return nil, errBadRecord
	}
	enc, err := encoderFor(dict)
	if err != nil {
		return nil, err
	}
	out := append(append([]byte{recArchived}, rec[1:recHeader]...), rec[0])
	return enc.EncodeAll(rec[recHeader:], out), nil
}

// unarchiveRecord is the original record of an archived one.
func unarchiveRecord(z []byte) ([]byte, error) {
	if len(z) < recHeader+1 {
		return nil, errBadRecord
	}
	dec, err := decoder()
	if err != nil {
		return nil, err
	}
	rec := append([]byte{z[recHeader]}, z[1:recHeader]...)
	rec, err = dec.DecodeAll(z[recHeader+1:], rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRecord, err)
	}
	return rec, nil
}

// ArchiveDeliveries moves the accepted deliveries received before `before` into the
// archive, compressed, and says how many it moved.
func (s *Store) ArchiveDeliveries(before time.Time) (int, error) {
	dict := s.dict.Load()
	n, err := s.pruneChunks(func(tx *bolt.Tx) (int, error) {
		hot, arc := tx.Bucket(bDeliveries), tx.Bucket(bArchive)
		arc.FillPercent = 1 // appended in id order
		if dict == deliveryDict1 {
			var err error
			if dict, err = learnDict(tx); err != nil {
				return 0, err
			}
		}
		c := hot.Cursor()
		n := 0
		for k, v := c.First(); k != nil && n < pruneChunk; k, v = c.First() {
			if at, ok := recReceivedAt(v); ok && !at.Before(before) {
				break
			}
			z, err := archiveRecord(v, dict)
			if err != nil {
				z = bytes.Clone(v) // unreadable: kept as it is, for inspection
			}
			if err := arc.Put(bytes.Clone(k), z); err != nil {
				return n, err
			}
			if err := c.Delete(); err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	})
	if err == nil {
		s.dict.Store(dict)
	}
	return n, err
}

// deliveryRecord is the stored record of accepted delivery id (nil: none), archived
// records left compressed (their seq header reads as is).
func deliveryRecord(tx *bolt.Tx, id uint64) []byte {
	if v := tx.Bucket(bDeliveries).Get(u64(id)); v != nil {
		return v
	}
	return tx.Bucket(bArchive).Get(u64(id))
}
