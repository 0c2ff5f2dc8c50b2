package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringside/server/call"
)

// A busy writer waits for more requests before it commits: a delivery that comes while
// it gathers shares the commit of those queued before it.
func TestBusyWriterGathers(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "ringside.db"), Options{NoSync: true, GatherWait: 300 * time.Millisecond})
	var commits atomic.Int32
	s.OnCommit(func(time.Duration) { commits.Add(1) })
	var wg sync.WaitGroup
	send := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := delivery(fmt.Sprintf(`{"n":%d}`, i), t0)
			if _, err := s.Append(context.Background(), d, []call.Event{event("a", fmt.Sprint(i), t0)}); err != nil {
				t.Error(err)
			}
		}()
	}
	tx, _ := s.db.Begin(true) // hold the writer on a first batch of one
	defer tx.Rollback()
	send(0)
	waitFor(t, func() bool { return s.Waiting() == 1 && len(s.reqs) == 0 })
	for i := 1; i < 40; i++ { // a crowd queues behind it
		send(i)
	}
	waitFor(t, func() bool { return s.Waiting() == 40 })
	tx.Rollback()
	// the first batch committed and the crowd taken: the writer gathers now
	waitFor(t, func() bool { return commits.Load() >= 1 && len(s.reqs) == 0 })
	time.Sleep(30 * time.Millisecond)
	send(40)
	wg.Wait()
	if n := commits.Load(); n != 2 {
		t.Fatalf("%d commits, want 2: the first request, then the crowd with the one sent while it gathered", n)
	}
	if s.LastSeq() != 41 {
		t.Fatalf("LastSeq %d, want 41", s.LastSeq())
	}
}

// At a call centre's pace nothing waits for company.
func TestQuietWriterDoesNotGather(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "ringside.db"), Options{NoSync: true, GatherWait: 5 * time.Second})
	for i := range 3 {
		t1 := time.Now()
		if _, err := s.Append(context.Background(), delivery(fmt.Sprint(i), t0), nil); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(t1); took > 2500*time.Millisecond {
			t.Fatalf("a lone delivery took %s: the writer waited for others", took)
		}
	}
}
