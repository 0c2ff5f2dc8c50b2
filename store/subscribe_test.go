package store

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// receive reads from sub until it has seen seq `last`, checking that seqs come in
// order, each once, starting at `first`.
func receive(t *testing.T, sub *Subscription, first, last uint64) []call.Event {
	t.Helper()
	var got []call.Event
	next := first
	timeout := time.After(10 * time.Second)
	for next <= last {
		select {
		case evs, ok := <-sub.C():
			if !ok {
				t.Fatalf("subscription ended at seq %d: %v", next, sub.Err())
			}
			for _, e := range evs {
				if e.Seq != next {
					t.Fatalf("got seq %d, want %d", e.Seq, next)
				}
				next++
			}
			got = append(got, evs...)
		case <-timeout:
			t.Fatalf("timed out at seq %d of %d", next, last)
		}
	}
	return got
}

func appendN(t *testing.T, s *Store, workers, each, eventsPer int) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("%d-%d-%d", w, i, time.Now().UnixNano())
				evs := make([]call.Event, eventsPer)
				for j := range evs {
					evs[j] = event("a", id, t0)
				}
				if _, err := s.Append(context.Background(), delivery(id, t0), evs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSubscribeWhileAppending(t *testing.T) {
	s, _ := tempStore(t)
	appendN(t, s, 1, 10, 1) // some history before the subscription
	sub := s.Subscribe(0)
	defer sub.Close()
	done := make(chan struct{})
	go func() { appendN(t, s, 20, 50, 2); close(done) }()
	const total = 10 + 20*50*2
	got := receive(t, sub, 1, total)
	<-done
	// Each event is the one stored under its seq.
	stored, _ := s.Events(0, total)
	for i := range got {
		if got[i].Call != stored[i].Call {
			t.Fatalf("seq %d: live %s, stored %s", got[i].Seq, got[i].Call, stored[i].Call)
		}
	}
	select {
	case evs := <-sub.C():
		t.Fatalf("extra events after the last: %d from seq %d", len(evs), evs[0].Seq)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestSubscribeFromMiddle(t *testing.T) {
	s, _ := tempStore(t)
	appendN(t, s, 1, 30, 1)
	sub := s.Subscribe(25)
	defer sub.Close()
	receive(t, sub, 26, 30)
	appendN(t, s, 1, 5, 1)
	receive(t, sub, 31, 35)

	// A subscription from the future waits for it.
	ahead := s.Subscribe(40)
	defer ahead.Close()
	appendN(t, s, 1, 10, 1)
	receive(t, ahead, 41, 45)
}

// A reader that does not read while much more than its buffer commits loses nothing:
// the overflow is read back from the log.
func TestSlowSubscriber(t *testing.T) {
	s, _ := tempStore(t)
	sub := s.Subscribe(0)
	defer sub.Close()
	appendN(t, s, 4, 50, 200) // 40000 events > subBuffer
	if s.LastSeq() <= 2*subBuffer {
		t.Fatalf("only %d events", s.LastSeq())
	}
	receive(t, sub, 1, s.LastSeq())
}

// A reader that falls behind many small commits gets them merged into a few sends (in
// order, each event once, none larger than maxMerged), not one send per commit.
func TestSubscriptionMergesWaitingCommits(t *testing.T) {
	s, _ := tempStore(t)
	sub := s.Subscribe(0)
	defer sub.Close()
	const commits = 3000 // one event each, appended one after another
	appendN(t, s, 1, commits, 1)
	sends, next := 0, uint64(1)
	for next <= commits {
		select {
		case evs := <-sub.C():
			sends++
			if len(evs) > maxMerged {
				t.Fatalf("a send of %d events, over %d", len(evs), maxMerged)
			}
			for _, e := range evs {
				if e.Seq != next {
					t.Fatalf("got seq %d, want %d", e.Seq, next)
				}
				next++
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out at seq %d", next)
		}
	}
	// the first commit may be handed over alone (the subscription waited for it);
	// the rest wait together
	if sends > 1+(commits+maxMerged-1)/maxMerged {
		t.Fatalf("%d sends for %d waiting commits", sends, commits)
	}
}

// Waiting counts the deliveries waiting for their commit: all of them while the
// writer cannot commit, none once they are answered.
func TestWaitingDeliveries(t *testing.T) {
	s, _ := tempStore(t)
	hold, held := make(chan struct{}), make(chan struct{})
	go s.db.Update(func(*bolt.Tx) error { close(held); <-hold; return nil }) // bbolt's one writer
	<-held
	const n = 40
	done := make(chan struct{})
	go func() { appendN(t, s, n, 1, 1); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Waiting() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if w := s.Waiting(); w != n {
		t.Errorf("Waiting = %d with %d deliveries held before their commit", w, n)
	}
	close(hold)
	<-done
	if w := s.Waiting(); w != 0 {
		t.Fatalf("Waiting = %d after every append returned", w)
	}
}

func TestSubscriptionClose(t *testing.T) {
	s, _ := tempStore(t)
	appendN(t, s, 1, 3, 1)
	sub := s.Subscribe(0)
	sub.Close()
	sub.Close()
	for range sub.C() { // drains and ends
	}
	if sub.Err() != nil {
		t.Fatalf("Err after Close = %v", sub.Err())
	}
	// Store.Close ends the others.
	live := s.Subscribe(3)
	s.Close()
	select {
	case _, ok := <-live.C():
		if ok {
			t.Fatal("events after Close")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("subscription not ended by Store.Close")
	}
}

// Live events are exactly what a replay reads (time zones and monotonic clock readings
// do not survive storage, so the live path must not carry them either).
func TestLiveEventsEqualReplay(t *testing.T) {
	s, _ := tempStore(t)
	sub := s.Subscribe(0)
	defer sub.Close()
	tehran, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		tehran = time.FixedZone("IRST", 12600)
	}
	e := event("NewState", "1", time.Date(2021, 1, 16, 6, 30, 37, 471398000, tehran))
	e.ReceivedAt = time.Now() // carries a monotonic reading
	e.StartedAt = call.T(e.At)
	mustAppend(t, s, delivery("x", t0), e)
	live := receive(t, sub, 1, 1)
	replay, _ := s.Events(0, 1)
	if !reflect.DeepEqual(live, replay) {
		t.Fatalf("live %+v\nreplay %+v", live[0], replay[0])
	}
}

// Crowded holds a crowd seen for a while after the queue dips below it.
func TestCrowdedHolds(t *testing.T) {
	s, _ := tempStore(t)
	if s.Crowded(2, time.Hour) {
		t.Fatal("crowded with nobody waiting")
	}
	s.waiting.Store(2) // as two deliveries waiting for their commit
	if !s.Crowded(2, time.Hour) {
		t.Fatal("not crowded with two waiting")
	}
	s.waiting.Store(0)
	if !s.Crowded(2, time.Hour) {
		t.Fatal("the crowd was not held after it dipped")
	}
	if s.Crowded(2, 0) {
		t.Fatal("crowded past the hold")
	}
}
