package store

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// EventsAt reads the logged events at seqs, in one transaction, by seq: the board's
// snapshot names its open calls' events by their log positions instead of holding
// them (the log has them), and a restart reads them back here. A seq the log no
// longer holds (retention) is an error: the caller then replays the log.
func (s *Store) EventsAt(seqs []uint64) (map[uint64]call.Event, error) {
	sorted := slices.Clone(seqs) // bbolt reads ascending keys along its pages
	slices.Sort(sorted)
	out := make(map[uint64]call.Event, len(sorted))
	err := s.view(func(tx *bolt.Tx) error {
		events := tx.Bucket(bEvents)
		for _, seq := range slices.Compact(sorted) {
			v := events.Get(u64(seq))
			if v == nil {
				return fmt.Errorf("store: event %d is not in the log", seq)
			}
			out[seq] = s.readStored(seq, v)
		}
		return nil
	})
	return out, unavailable(err)
}
