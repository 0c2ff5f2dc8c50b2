package store

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// CDRs are derived from the log, and the writer that stores them can fail (a full
// disk) while the log goes on. The CDR mark is how far the log is known to have its
// CDRs: every call ended by an event at or before it has one. A writer that lost a
// batch leaves the mark behind, and a check from the mark (at start, or once the
// writer recovers) finds the calls ended after it that have no CDR.
var keyCDRMark = []byte("cdr_mark")

// endingTypes are the events that end a call (live hangup, post-call record, expiry).
var endingTypes = map[call.Type]bool{call.CallEnded: true, call.CallRecord: true, call.CallExpired: true}

// CDRMark is the seq through which every ended call has its CDR (0: none checked yet).
func (s *Store) CDRMark() uint64 { return s.metaSeq(keyCDRMark) }

// SetCDRMark records that every call ended through seq has its CDR.
func (s *Store) SetCDRMark(seq uint64) error {
	return unavailable(s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bMeta).Put(keyCDRMark, u64(seq))
	}))
}

// EndedWithoutCDR scans the events after seq `after` up to and including `upto` (at
// most limit of them) and lists the calls they end that have no stored CDR, each once.
// through is the last seq scanned: the next scan starts after it.
func (s *Store) EndedWithoutCDR(after, upto uint64, limit int) (ids []string, through uint64, err error) {
	through = after
	err = s.db.View(func(tx *bolt.Tx) error {
		cdrs, seen := tx.Bucket(bCDRs), map[string]bool{}
		c := tx.Bucket(bEvents).Cursor()
		n := 0
		for k, v := c.Seek(u64(after + 1)); k != nil && n < limit; k, v = c.Next() {
			seq := binary.BigEndian.Uint64(k)
			if seq > upto {
				break
			}
			through, n = seq, n+1
			ev, derr := decodeEvent(seq, v)
			if derr != nil || !endingTypes[ev.Type] || ev.Call == "" || seen[ev.Call] {
				continue // an unreadable event is the board's to report; it ended nothing here
			}
			seen[ev.Call] = true
			if cdrs.Get([]byte(ev.Call)) == nil {
				ids = append(ids, ev.Call)
			}
		}
		return nil
	})
	return ids, through, unavailable(err)
}
