package store

import (
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestPruneLog deletes deliveries and events by their receive time, never an event
// past keepSeq nor the last one, with their by-call keys and rejected quota.
func TestPruneLog(t *testing.T) {
	s, path := tempStore(t)
	day := 24 * time.Hour
	for i := range 100 {
		at := t0.Add(time.Duration(i) * day / 2) // 50 days, two a day
		id := fmt.Sprint("c", i)
		mustAppend(t, s, delivery(id, at), event("IncomingCall", id, at), event("Hangup", id, at))
		if err := s.Reject(nil, delivery("bad"+id, at), "no"); err != nil {
			t.Fatal(err)
		}
	}
	last := s.LastSeq()
	// raw before day 40, events before day 45 but none past seq 150 (day 37.5)
	d, e, err := s.PruneLog(t0.Add(40*day), t0.Add(45*day), 150)
	if err != nil {
		t.Fatal(err)
	}
	if d != 2*80 || e != 150 {
		t.Errorf("deleted %d deliveries and %d events, want 160 and 150", d, e)
	}
	if n := bucketLen(t, s, bCallEvents); n != 200-150 {
		t.Errorf("%d by-call keys left, want 50", n)
	}
	if evs, _ := s.CallEvents("pbx1:c10"); len(evs) != 0 {
		t.Errorf("a pruned call still has %d events", len(evs))
	}
	if evs, _ := s.CallEvents("pbx1:c90"); len(evs) != 2 {
		t.Errorf("a kept call has %d events, want 2", len(evs))
	}
	if rs, _ := s.Rejected(0, 1000); len(rs) != 20 || rs[0].ReceivedAt.Before(t0.Add(40*day)) {
		t.Errorf("%d rejected left, want the 20 from day 40", len(rs))
	}
	var quota []byte
	s.db.View(func(tx *bolt.Tx) error {
		quota = append(quota, tx.Bucket(bRejectedQuota).Get([]byte("pbx1"))...)
		return nil
	})
	if len(quota) != 16 || quota[7] != 20 {
		t.Errorf("rejected quota %x, want 20 records counted", quota)
	}
	// everything old, no seq limit: the last event stays, and the log goes on after it
	if _, e, err = s.PruneLog(time.Time{}, t0.Add(100*day), last); err != nil || e != 49 {
		t.Errorf("second prune: %d events, %v; want all but the last (49)", e, err)
	}
	s.Close()
	s = open(t, path, Options{NoSync: true})
	if s.LastSeq() != last {
		t.Fatalf("reopened at seq %d, want %d", s.LastSeq(), last)
	}
	if a := mustAppend(t, s, delivery("after", t0.Add(60*day)), event("IncomingCall", "after", t0)); a.Seqs[0] != last+1 {
		t.Errorf("next event got seq %d, want %d", a.Seqs[0], last+1)
	}
}

// TestRetentionBoundsTheFile appends 30 days of traffic while pruning what is older
// than 10 days, as the server's sweeper does: the file stops growing once 10 days
// are held.
func TestRetentionBoundsTheFile(t *testing.T) {
	s, _ := tempStore(t)
	day := 24 * time.Hour
	body := string(make([]byte, 300))
	size := func() int64 {
		var n int64
		s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
		return n
	}
	var at10 int64
	for d := range 30 {
		for i := range 120 {
			at := t0.Add(time.Duration(d)*day + time.Duration(i)*day/120)
			id := fmt.Sprint(d, ".", i)
			mustAppend(t, s, delivery(id+body, at), event("IncomingCall", id, at), event("Hangup", id, at))
		}
		now := t0.Add(time.Duration(d+1) * day)
		if _, _, err := s.PruneLog(now.Add(-10*day), now.Add(-10*day), s.LastSeq()); err != nil {
			t.Fatal(err)
		}
		if d == 10 {
			at10 = size()
		}
	}
	t.Logf("file data after 11 days %d bytes, after 30 days %d", at10, size())
	if end := size(); end > at10*5/4 {
		t.Errorf("file data grew from %d to %d bytes under a 10-day retention", at10, end)
	}
}
