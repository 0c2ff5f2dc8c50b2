package store

import (
	"fmt"
	"sync"

	"ringside/server/call"
)

// subBuffer is how many committed events a subscription holds for its reader. When a
// slow reader lets it fill, newer batches are not kept: the subscription reads them
// back from the log instead. So the writer never waits for a reader, memory stays
// bounded, and no event is lost - the durable log is the unbounded buffer.
const subBuffer = 16384

// catchUpChunk is how many events one read of the log hands over.
const catchUpChunk = 1024

// Subscription delivers committed events in seq order, each exactly once.
type Subscription struct {
	s    *Store
	c    chan []call.Event
	next uint64 // run only: the next seq to deliver

	mu       sync.Mutex
	pending  []published // batches pushed by the writer, in seq order
	pendingN int
	err      error

	wake      chan struct{}
	quit      chan struct{}
	closeOnce sync.Once
}

// published is a committed batch: the stored values (delivery id + JSON) of the
// events first, first+1, ...
type published struct {
	first uint64
	vals  [][]byte
}

func (p published) last() uint64 { return p.first + uint64(len(p.vals)) - 1 }

// Subscribe delivers every committed event with seq > fromSeq, in order: first the
// ones already in the log, then the live ones as they commit, without gap or repeat.
// Live events are decoded from the stored bytes, exactly as a replay reads them.
func (s *Store) Subscribe(fromSeq uint64) *Subscription {
	sub := &Subscription{s: s, c: make(chan []call.Event), next: fromSeq + 1,
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	s.mu.RLock()
	closed := s.closed
	if !closed {
		s.subMu.Lock()
		s.subs[sub] = struct{}{}
		s.subMu.Unlock()
	}
	s.mu.RUnlock()
	if closed {
		sub.err = errClosed
		close(sub.c)
		return sub
	}
	go sub.run()
	return sub
}

// C receives batches of events; it is closed when the subscription ends.
func (sub *Subscription) C() <-chan []call.Event { return sub.c }

// Err is why the subscription ended on its own (nil after Close).
func (sub *Subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

// Close ends the subscription; C is closed soon after.
func (sub *Subscription) Close() {
	sub.closeOnce.Do(func() {
		close(sub.quit)
		sub.s.subMu.Lock()
		delete(sub.s.subs, sub)
		sub.s.subMu.Unlock()
	})
}

// publish hands a committed batch to every subscription (writer only).
func (s *Store) publish(p published) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for sub := range s.subs {
		sub.mu.Lock()
		if sub.pendingN+len(p.vals) <= subBuffer {
			sub.pending = append(sub.pending, p)
			sub.pendingN += len(p.vals)
		}
		sub.mu.Unlock()
		select {
		case sub.wake <- struct{}{}:
		default:
		}
	}
}

func (sub *Subscription) run() {
	defer close(sub.c)
	for {
		sub.mu.Lock()
		batches := sub.pending
		sub.pending, sub.pendingN = nil, 0
		sub.mu.Unlock()
		if len(batches) > 0 {
			if !sub.deliver(batches) {
				return
			}
			continue // more may have been published meanwhile: those first, not the log
		}
		if last := sub.s.LastSeq(); sub.next <= last {
			if !sub.catchUp(last) {
				return
			}
			continue
		}
		select {
		case <-sub.wake:
		case <-sub.quit:
			return
		}
	}
}

// maxMerged bounds the events one send hands over when several committed batches wait
// (the reader applies a send under its lock).
const maxMerged = 2048

// deliver sends the pending batches in order, consecutive ones merged into one send
// (up to maxMerged events): a reader that fell behind during a burst of small commits
// catches up in a few large steps rather than one per commit.
func (sub *Subscription) deliver(batches []published) bool {
	var out []call.Event
	for _, p := range batches {
		if p.last() < sub.next {
			continue // already read from the log
		}
		if p.first > sub.next { // dropped batches (or the start): read the gap from the log
			if !sub.sendMerged(&out) || !sub.catchUp(p.first-1) {
				return false
			}
		}
		evs, err := sub.s.decodeEvents(sub.next, p.vals[sub.next-p.first:])
		if err != nil {
			sub.fail(err)
			return false
		}
		if out == nil {
			out = evs
		} else {
			out = append(out, evs...)
		}
		sub.next = evs[len(evs)-1].Seq + 1
		if len(out) >= maxMerged && !sub.sendMerged(&out) {
			return false
		}
	}
	return sub.sendMerged(&out)
}

// sendMerged sends what deliver gathered, if anything, and empties it.
func (sub *Subscription) sendMerged(out *[]call.Event) bool {
	if len(*out) == 0 {
		return true
	}
	evs := *out
	*out = nil
	return sub.send(evs)
}

// catchUp delivers the events up to seq `to` from the log.
func (sub *Subscription) catchUp(to uint64) bool {
	for sub.next <= to {
		evs, err := sub.s.Events(sub.next-1, int(min(to-sub.next+1, catchUpChunk)))
		if err == nil && (len(evs) == 0 || evs[0].Seq != sub.next) {
			err = fmt.Errorf("store: event log has no seq %d", sub.next)
		}
		if err != nil {
			sub.fail(err)
			return false
		}
		if !sub.send(evs) {
			return false
		}
	}
	return true
}

func (sub *Subscription) fail(err error) {
	select {
	case <-sub.quit: // closing: not an error
	default:
		sub.mu.Lock()
		sub.err = err
		sub.mu.Unlock()
	}
}

func (sub *Subscription) send(evs []call.Event) bool {
	select {
	case sub.c <- evs:
		sub.next = evs[len(evs)-1].Seq + 1
		return true
	case <-sub.quit:
		return false
	}
}
