package store

import (
	"encoding/binary"
	"maps"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// A stored event that decodes but that the board cannot apply (its apply panicked: a
// bug meeting an input nobody foresaw) would stop the board at it after every restart,
// a crash loop. Quarantine sets such an event aside for good: from then on every
// reader (the board's subscription and replays, a call's timeline, /api/v1/events)
// gets its unreadable stand-in in its place, with the reason, exactly as for a damaged
// record (unreadable.go), so one rule skips both. The event's bytes and its raw
// delivery stay in the file for inspection; only readers stop seeing it.

// bQuarantined holds the events set aside: seq (8) → why.
var bQuarantined = []byte("quarantined")

// Quarantine sets stored event seq aside for reason, durably, before it returns.
func (s *Store) Quarantine(seq uint64, reason string) error {
	err := s.update(func(tx *bolt.Tx) error { // a panic (a damaged page) is an error, see writerpanic.go
		return tx.Bucket(bQuarantined).Put(u64(seq), []byte(reason))
	})
	if err != nil {
		return unavailable(err)
	}
	s.qmu.Lock()
	defer s.qmu.Unlock()
	q := maps.Clone(*s.quarantine.Load())
	q[seq] = reason
	s.quarantine.Store(&q)
	return nil
}

// loadQuarantine reads the events set aside (at open).
func (s *Store) loadQuarantine(tx *bolt.Tx) {
	q := map[uint64]string{}
	tx.Bucket(bQuarantined).ForEach(func(k, v []byte) error {
		if len(k) == 8 {
			q[binary.BigEndian.Uint64(k)] = string(v)
		}
		return nil
	})
	s.quarantine.Store(&q)
}

// readStored decodes stored event seq, or gives its stand-in when it cannot be read
// or was set aside.
func (s *Store) readStored(seq uint64, v []byte) call.Event {
	if q := *s.quarantine.Load(); len(q) > 0 {
		if reason, ok := q[seq]; ok {
			return standIn(seq, quarantinedErr(reason))
		}
	}
	return decodeStored(seq, v)
}

// quarantinedErr is why a quarantined event is not read.
type quarantinedErr string

func (q quarantinedErr) Error() string { return "set aside: " + string(q) }
