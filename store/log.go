package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"ringside/server/call"
)

// Appended says what Append did: the delivery's id and its events' seqs, or for a
// duplicate the original delivery's id and seqs (and nothing was written).
type Appended struct {
	Duplicate bool
	Delivery  uint64
	Seqs      []uint64
}

// request is one Append or Reject waiting for the writer. Everything that can be
// computed without the database (JSON, hashes) is done by the caller's goroutine, so
// the single writer only does bbolt work.
type request struct {
	d      Delivery
	reject bool
	rec    []byte   // encoded record; the writer fills the seq header
	vals   [][]byte // per event: delivery id (filled by the writer) + JSON
	calls  []string // per event: its call, for the timeline index
	dk     dedupeKeys

	res   Appended // set by the writer
	reply chan error
}

var errClosed = fmt.Errorf("%w: store is closed", ErrUnavailable)

// Append durably records a delivery and the events decoded from it, unless it is a
// retry of one already recorded. It returns after the group commit holding it has been
// fsynced; an error wraps ErrUnavailable when the store could not write, and is
// anything else (ErrUnstorable, an encoding error) when this delivery cannot be stored.
func (s *Store) Append(ctx context.Context, d Delivery, events []call.Event) (Appended, error) {
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	rec, err := encodeRecord(d, "")
	if err != nil {
		return Appended{}, fmt.Errorf("store: encode delivery: %w", err)
	}
	r := &request{d: d, rec: rec, dk: newDedupeKeys(d),
		vals: make([][]byte, len(events)), calls: make([]string, len(events))}
	for i := range events {
		if err := checkEvent(&events[i]); err != nil {
			return Appended{}, fmt.Errorf("store: encode event %d (%s): %w", i, events[i].Name, err)
		}
		// The key is the seq, filled in on read; the delivery id is filled by the writer.
		r.vals[i] = appendEvent(make([]byte, 8, 128), &events[i])
		r.calls[i] = events[i].Call
	}
	if err := s.send(ctx, r); err != nil {
		return Appended{}, err
	}
	return r.res, nil
}

// Reject keeps a refused delivery and why, for inspection.
func (s *Store) Reject(ctx context.Context, d Delivery, reason string) error {
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	rec, err := encodeRecord(d, reason)
	if err != nil {
		return fmt.Errorf("store: encode delivery: %w", err)
	}
	return s.send(ctx, &request{d: d, reject: true, rec: rec})
}

// Waiting is how many deliveries wait for their group commit at this moment: a few at
// most at a call centre's pace, hundreds while a vendor sends its backlog as fast as
// the store takes it (background work yields to intake then; see server/intakefirst.go).
func (s *Store) Waiting() int { return int(s.waiting.Load()) }

// The writer is busy while at least crowdSize deliveries wait for their commit (a few
// at most at a call centre's pace, hundreds while a vendor sends its backlog as fast
// as the store takes it), or did within crowdHold.
const (
	crowdSize = 32
	crowdHold = 100 * time.Millisecond
)

// Busy tells whether deliveries crowd the writer, now or within crowdHold: background
// work yields to intake then (server/intakefirst.go), and the writer gathers its
// batches (fill).
func (s *Store) Busy() bool { return s.Crowded(crowdSize, crowdHold) }

// Crowded tells whether at least n deliveries wait for their commit, now or when it
// was last asked within hold: during a burst the queue empties at each commit and
// fills again, and background work that looked at that moment alone went on at full
// speed half the time.
func (s *Store) Crowded(n int, hold time.Duration) bool {
	now := time.Now().UnixNano()
	if s.Waiting() >= n {
		s.crowdedAt.Store(now)
		return true
	}
	return now-s.crowdedAt.Load() < int64(hold)
}

// send queues r for the writer and waits for its commit.
func (s *Store) send(ctx context.Context, r *request) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	r.reply = make(chan error, 1) // the writer never blocks on a caller that gave up
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		s.mu.RUnlock()
		return unavailable(ctx.Err())
	}
	s.mu.RUnlock()
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		// It may still commit; the vendor's retry is then deduplicated.
		return unavailable(ctx.Err())
	}
}

// maxBatchBytes also bounds a batch, so a burst of large bodies does not make one
// huge transaction.
const maxBatchBytes = 32 << 20

// writer is the only goroutine that writes the log: it takes every request queued
// at that moment (up to MaxBatch) into one bbolt transaction, so one fsync serves many.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*request, 0, s.opt.MaxBatch)
	for r := range s.reqs {
		batch = s.fill(append(batch[:0], r))
		s.commitGuarded(batch)
		clear(batch) // drop references to bodies until the next batch
	}
}

// fill adds to batch the requests queued now, up to MaxBatch and maxBatchBytes. While
// the writer is crowded it also waits up to GatherWait for more: during a burst the
// requests come in waves (a commit answers hundreds, whose next deliveries are read
// and decoded while the writer goes on), and without the wait it committed a few
// dozen at a time, each commit paying the same two fsyncs and the same pages written.
// At a call centre's pace nothing is crowded, so nothing waits.
func (s *Store) fill(batch []*request) []*request {
	size := len(batch[0].rec)
	var gather <-chan time.Time
	for len(batch) < s.opt.MaxBatch && size < maxBatchBytes {
		var r *request
		ok := true
		select {
		case r, ok = <-s.reqs:
		default:
			if gather == nil {
				if s.opt.GatherWait <= 0 || !s.Busy() {
					return batch
				}
				t := time.NewTimer(s.opt.GatherWait)
				defer t.Stop()
				gather = t.C
			}
			select {
			case r, ok = <-s.reqs:
			case <-gather:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, r)
		size += len(r.rec)
	}
	return batch
}

// commit writes batch and answers its requests. If the transaction fails with more
// than one request in it, each is retried alone so one bad request cannot fail the rest.
func (s *Store) commit(batch []*request) {
	err := s.write(batch)
	if err != nil && len(batch) > 1 {
		for i := range batch {
			s.commit(batch[i : i+1])
		}
		return
	}
	for _, r := range batch {
		r.reply <- err
	}
}

func (s *Store) write(batch []*request) error {
	seq := s.lastSeq.Load()
	first := seq + 1
	s.dd.begin()
	t0 := time.Now()
	err := s.update(func(tx *bolt.Tx) error {
		fillPages(tx, 1, bEvents, bDeliveries, bRejected, bKeyExpiry, bRecent)
		fillPages(tx, mostlyAppended, bCallEvents, bKeys)
		for _, r := range batch {
			if err := s.apply(tx, r, &seq); err != nil {
				return err
			}
			s.dd.stagedClock = max(s.dd.stagedClock, r.d.ReceivedAt.UnixNano())
		}
		return s.prune(tx, 2*len(batch)+64)
	})
	if errors.Is(err, berrors.ErrKeyRequired) || errors.Is(err, berrors.ErrKeyTooLarge) || errors.Is(err, berrors.ErrValueTooLarge) {
		return fmt.Errorf("%w: %v", ErrUnstorable, err) // this request's data, not the store: retrying cannot help
	}
	if err != nil {
		return unavailable(err)
	}
	if fn := s.onCommit.Load(); fn != nil {
		(*fn)(time.Since(t0))
	}
	s.dd.commit()
	s.lastSeq.Store(seq)
	if first == 1 && seq > 0 {
		noteHeld(s.path, seq, fileSize(s.path)) // the first events: see opencheck.go
	}
	// Subscribers get the stored bytes, so live and replayed events decode identically.
	p := published{first: first}
	for _, r := range batch {
		if !r.reject && !r.res.Duplicate {
			p.vals = append(p.vals, r.vals...)
		}
	}
	if len(p.vals) > 0 {
		s.publish(p)
	}
	return nil
}

// apply writes one request inside the batch's transaction; seq is the last seq used.
func (s *Store) apply(tx *bolt.Tx, r *request, seq *uint64) error {
	if r.reject {
		return s.keepRejected(tx, r.d.Source, r.rec)
	}
	deliveries := tx.Bucket(bDeliveries)
	if orig := s.duplicateOf(tx, r); orig != 0 {
		r.res = Appended{Duplicate: true, Delivery: orig, Seqs: recSeqs(deliveryRecord(tx, orig))}
		return nil
	}
	id, err := deliveries.NextSequence()
	if err != nil {
		return err
	}
	events, byCall := tx.Bucket(bEvents), tx.Bucket(bCallEvents)
	first := *seq + 1
	var seqs []uint64
	for i, v := range r.vals {
		*seq++
		binary.BigEndian.PutUint64(v[:8], id)
		if err := events.Put(u64(*seq), v); err != nil {
			return err
		}
		if c := r.calls[i]; c != "" {
			if err := byCall.Put(append(callPrefix(c), u64(*seq)...), nil); err != nil {
				return err
			}
		}
		seqs = append(seqs, *seq)
	}
	setSeqs(r.rec, first, len(r.vals))
	if err := deliveries.Put(u64(id), r.rec); err != nil {
		return err
	}
	r.res = Appended{Delivery: id, Seqs: seqs}
	return s.remember(tx, r, id)
}

// mostlyAppended is the page fill for buckets whose keys grow along a few lines (a
// call's events after its id, a vendor's increasing keys, a CDR value's calls in time
// order): bbolt's default splits a full page in half, and a page left behind an
// append point stays half empty for good.
const mostlyAppended = 0.9

// fillPages sets how full tx keeps the named buckets' pages when it splits them.
func fillPages(tx *bolt.Tx, fill float64, names ...[]byte) {
	for _, name := range names {
		if b := tx.Bucket(name); b != nil {
			b.FillPercent = fill
		}
	}
}

// Events returns up to limit events with seq > after, in seq order, Seq filled.
func (s *Store) Events(after uint64, limit int) ([]call.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	size := 0 // sized at once: a catch-up reads a thousand at a time
	if last := s.LastSeq(); last > after {
		size = int(min(uint64(limit), last-after))
	}
	out := make([]call.Event, 0, size)
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			out = append(out, s.readStored(binary.BigEndian.Uint64(k), v)) // see unreadable.go
		}
		return nil
	})
	return out, unavailable(err)
}

// decodeEvent reads a stored event value: delivery id + the event, binary or (written
// before the binary form) JSON; see eventcodec.go.
func decodeEvent(seq uint64, v []byte) (call.Event, error) {
	var ev call.Event
	if len(v) < 9 {
		return ev, eventErr(seq, errBadRecord)
	}
	var err error
	if v[8] == evBinary {
		err = readEvent(v[9:], &ev)
	} else {
		err = json.Unmarshal(v[8:], &ev)
	}
	if err != nil {
		return ev, eventErr(seq, err)
	}
	ev.Seq = seq
	return ev, nil
}

// decodeEvents decodes consecutive stored events starting at seq first (an unreadable
// or quarantined one as its stand-in, see unreadable.go).
func (s *Store) decodeEvents(first uint64, vals [][]byte) ([]call.Event, error) {
	out := make([]call.Event, len(vals))
	for i, v := range vals {
		out[i] = s.readStored(first+uint64(i), v)
	}
	return out, nil
}

// maxCallEvents bounds one call's timeline (a runaway vendor cannot make it huge).
const maxCallEvents = 10000

// CallEvents returns the timeline of one call: its events in seq order, Seq filled.
func (s *Store) CallEvents(id string) ([]call.Event, error) {
	var out []call.Event
	prefix := callPrefix(id)
	err := s.view(func(tx *bolt.Tx) error {
		events := tx.Bucket(bEvents)
		c := tx.Bucket(bCallEvents).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < maxCallEvents; k, _ = c.Next() {
			seq := k[len(prefix):]
			ev := s.readStored(binary.BigEndian.Uint64(seq), events.Get(seq))
			if ev.Call == id { // a hashed prefix could in theory collide
				out = append(out, ev)
			}
		}
		return nil
	})
	return out, unavailable(err)
}

// callPrefix is a call's key prefix in events_by_call.
func callPrefix(id string) []byte {
	if len(id) > maxEntryKey {
		h := sha256.Sum256([]byte(id))
		return append(append([]byte{1}, h[:]...), 0)
	}
	return append([]byte(id), 0)
}

// Deliveries returns up to limit accepted deliveries with id > after, with their seqs.
func (s *Store) Deliveries(after uint64, limit int) ([]StoredDelivery, error) {
	return s.records(bArchive, after, limit, bDeliveries) // archived ids are the lower ones
}

// Rejected returns up to limit rejected deliveries with id > after, with the reasons.
func (s *Store) Rejected(after uint64, limit int) ([]StoredDelivery, error) {
	return s.records(bRejected, after, limit)
}

// records reads the buckets in turn, each one's ids above the one before's.
func (s *Store) records(bucket []byte, after uint64, limit int, more ...[]byte) ([]StoredDelivery, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []StoredDelivery
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range append([][]byte{bucket}, more...) {
			c := tx.Bucket(name).Cursor()
			for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
				d, err := decodeRecord(binary.BigEndian.Uint64(k), v)
				if err != nil {
					return err
				}
				out = append(out, d)
				after = d.ID
			}
		}
		return nil
	})
	return out, unavailable(err)
}
