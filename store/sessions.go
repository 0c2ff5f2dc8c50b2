package store

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Revoked sessions: a logged-out session id and until when its cookie could still be
// presented (its expiry). Kept here so a restart does not bring a logged-out cookie
// back; entries past their expiry are dropped as new ones are written.
var bRevokedSessions = []byte("revoked_sessions") // session id → until (8, Unix seconds)

// RevokeSession durably records that a session id is logged out until its expiry.
func (s *Store) RevokeSession(id string, until, now time.Time) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bRevokedSessions)
		if err != nil {
			return err
		}
		var stale [][]byte
		b.ForEach(func(k, v []byte) error {
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) < now.Unix() {
				stale = append(stale, k)
			}
			return nil
		})
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return b.Put([]byte(id), u64(uint64(until.Unix())))
	})
	return unavailable(err)
}

// RevokedSessions lists the revoked session ids not yet expired at now.
func (s *Store) RevokedSessions(now time.Time) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRevokedSessions)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				if until := time.Unix(int64(binary.BigEndian.Uint64(v)), 0); until.After(now) {
					out[string(k)] = until
				}
			}
			return nil
		})
	})
	return out, unavailable(err)
}
