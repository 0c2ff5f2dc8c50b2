package store

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// damageRoot overwrites the page flags of bucket's root page in the closed file at
// path (a bad sector, a stray write), so that bbolt panics when it descends into it.
func damageRoot(t *testing.T, path string, bucket []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	db.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket(bucket).Root())
		return nil
	})
	size := int64(db.Info().PageSize)
	db.Close()
	if root == 0 {
		t.Fatalf("bucket %s is inline: nothing to damage", bucket)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0xde, 0xad}, int64(root)*size+8); err != nil {
		t.Fatal(err)
	}
}

// TestWriterPanicInsideTransaction: with a damaged page under events_by_call, every
// delivery with a call event makes bbolt panic inside the writer's transaction. The
// process goes on, the delivery is answered ErrUnavailable (503: the vendor retries),
// Fault says so, and deliveries the damage does not touch are still written, with no
// seq lost or reused.
func TestWriterPanicInsideTransaction(t *testing.T) {
	s, path := tempStore(t)
	for i := 0; i < 300; i++ {
		mustAppend(t, s, delivery(fmt.Sprint(i), t0), event("IncomingCall", fmt.Sprintf("call-with-a-longer-id-%04d", i), t0))
	}
	s.Close()
	damageRoot(t, path, bCallEvents)
	s = open(t, path, Options{NoSync: true})
	last := s.LastSeq()

	for i := 0; i < 2; i++ { // the writer is alive after the first
		_, err := s.Append(t.Context(), delivery(fmt.Sprint("late", i), t0), []call.Event{event("Hangup", "call-with-a-longer-id-0001", t0)})
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("append over a damaged page: %v", err)
		}
	}
	if err := s.Fault(); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("Fault after the panics: %v", err)
	}
	if s.LastSeq() != last {
		t.Errorf("last seq moved by a failed write: %d, was %d", s.LastSeq(), last)
	}
	noCall := event("AgentLogin", "", t0)
	noCall.Call, noCall.Agent = "", "pbx1:101"
	a := mustAppend(t, s, delivery("login", t0), noCall)
	if len(a.Seqs) != 1 || a.Seqs[0] != last+1 {
		t.Errorf("the next write got seqs %v, want [%d]", a.Seqs, last+1)
	}
	evs, err := s.Events(last, 10)
	if err != nil || len(evs) != 1 || evs[0].Agent != "pbx1:101" {
		t.Errorf("events after the failed writes: %v %+v", err, evs)
	}
	if err := s.Reject(t.Context(), delivery("bad", t0), "test"); err != nil {
		t.Errorf("reject after the panics: %v", err)
	}
}

// TestWriterFailsClosedAfterCommitPanic: a panic after the commit (here the commit
// callback, as a metrics bug would) leaves the store's memory of the log unknown: it
// answers that delivery and every later one ErrUnavailable instead of hanging or
// reusing seqs, Fault says so, and a restart reads the committed delivery back, its
// retry recognized as a duplicate.
func TestWriterFailsClosedAfterCommitPanic(t *testing.T) {
	s, path := tempStore(t)
	mustAppend(t, s, delivery("first", t0), event("IncomingCall", "1", t0))
	s.OnCommit(func(time.Duration) { panic("metrics bug") })
	d := delivery("second", t0)
	d.Key = "cdr:2"
	if _, err := s.Append(t.Context(), d, []call.Event{event("IncomingCall", "2", t0)}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append whose commit callback panics: %v", err)
	}
	s.OnCommit(func(time.Duration) {})
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(t.Context(), delivery("third", t0), []call.Event{event("IncomingCall", "3", t0)})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("append after the store failed closed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an append after the panic hangs")
	}
	if err := s.Fault(); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("Fault: %v", err)
	}
	s.Close()

	s = open(t, path, Options{NoSync: true})
	if s.LastSeq() != 2 {
		t.Errorf("after the restart the log ends at %d, want 2 (the second delivery was committed)", s.LastSeq())
	}
	if a := mustAppend(t, s, d, event("IncomingCall", "2", t0)); !a.Duplicate {
		t.Errorf("the retry of the committed delivery was stored again: %+v", a)
	}
	if s.Fault() != nil {
		t.Errorf("a restarted store reports %v", s.Fault())
	}
}

// TestQuarantine: an event set aside reads as its stand-in everywhere (the log, a
// subscription, a call's timeline), with the reason, and stays set aside after a
// restart; the events around it read as before.
func TestQuarantine(t *testing.T) {
	s, path := tempStore(t)
	mustAppend(t, s, delivery("a", t0), event("IncomingCall", "1", t0), event("NewState", "1", t0), event("Hangup", "1", t0))
	if err := s.Quarantine(2, "applying it panicked"); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		evs, err := s.Events(0, 10)
		if err != nil || len(evs) != 3 {
			t.Fatalf("%v %+v", err, evs)
		}
		if r, ok := Unreadable(evs[1]); !ok || evs[1].Seq != 2 || !strings.Contains(r, "applying it panicked") {
			t.Errorf("event 2 reads %+v", evs[1])
		}
		if _, ok := Unreadable(evs[0]); ok || evs[2].Name != "Hangup" {
			t.Errorf("the events around it: %+v", evs)
		}
		tl, err := s.CallEvents("pbx1:1")
		if err != nil || len(tl) != 2 || tl[0].Seq != 1 || tl[1].Seq != 3 {
			t.Errorf("the call's timeline: %v %+v", err, tl)
		}
		sub := s.Subscribe(0)
		defer sub.Close()
		got := <-sub.C()
		if len(got) < 2 {
			got = append(got, <-sub.C()...)
		}
		if _, ok := Unreadable(got[1]); !ok {
			t.Errorf("a subscription reads event 2 as %+v", got[1])
		}
	}
	check(s)
	s.Close()
	check(open(t, path, Options{NoSync: true}))
}
