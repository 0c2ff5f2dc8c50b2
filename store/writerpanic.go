package store

import (
	"fmt"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The log's single writer must neither end the process nor leave every delivery
// waiting when something panics under it. Two cases:
//
//   - A panic inside the write transaction (bbolt meeting a damaged page, a read past
//     the file's end): bbolt rolls the transaction back, so nothing of the batch is
//     written. Its requests are answered ErrUnavailable (a webhook answers 503 and the
//     vendor retries; nothing was acknowledged) and the writer goes on with the next
//     batch. Fault reports it for faultShown, so /readyz shows a store whose writes
//     panic.
//   - A panic outside it (the store's own bookkeeping after a commit): what the store
//     holds in memory (the last seq, the dedupe window) may no longer match the file,
//     and a further write could reuse seqs. The store fails closed: that batch and
//     every later write is answered ErrUnavailable, Fault reports it for good, and a
//     restart reads the truth back from the file.

// faultShown is how long Fault reports a panic inside a write transaction.
const faultShown = time.Minute

// writeFault is what Fault reports.
type writeFault struct {
	err    error
	at     time.Time
	closed bool // the store failed closed
}

// Fault tells whether the log writer is failing: its writes panic, or panicked within
// the last faultShown, or it has failed closed (a restart is needed).
func (s *Store) Fault() error {
	f := s.fault.Load()
	if f == nil || !f.closed && time.Since(f.at) > faultShown {
		return nil
	}
	return f.err
}

// update runs fn in a write transaction, turning a panic inside it into an error that
// wraps ErrUnavailable (the transaction is rolled back).
func (s *Store) update(fn func(tx *bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // a page past the file's end: a panic, not a crash
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: writing %s panicked, nothing of the batch was written (%v): run `ringside check`",
				ErrUnavailable, s.path, p)
			if f := s.fault.Load(); f == nil || !f.closed {
				s.fault.Store(&writeFault{err: err, at: time.Now()})
			}
		}
	}()
	return s.db.Update(fn)
}

// commitGuarded commits batch, or answers it with the failure that closed the store.
func (s *Store) commitGuarded(batch []*request) {
	if f := s.fault.Load(); f != nil && f.closed {
		answer(batch, f.err)
		return
	}
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("%w: the log writer failed after a commit (%v); it takes no more writes until ringside restarts",
				ErrUnavailable, p)
			s.fault.Store(&writeFault{err: err, at: time.Now(), closed: true})
			answer(batch, err) // those already answered keep their answer
		}
	}()
	s.commit(batch)
}

// answer gives every request of batch not yet answered err.
func answer(batch []*request, err error) {
	for _, r := range batch {
		select {
		case r.reply <- err:
		default: // answered already (the reply holds one)
		}
	}
}
