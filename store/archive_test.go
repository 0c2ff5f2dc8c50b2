package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// TestDictionaryIsFrozen: archived records name the dictionary they were compressed
// with by its id, so dictionary 1 must never change (a new one takes a new id).
func TestDictionaryIsFrozen(t *testing.T) {
	sum := sha256.Sum256(deliveryDict)
	if got := hex.EncodeToString(sum[:]); got != "36b1d17736abebbe36ac139558e679311a3dd84563a64564dbc8a5d89be7da6c" {
		t.Fatalf("zdict/deliveries-1.dict changed (sha256 %s): archived deliveries would not decompress", got)
	}
}

// TestArchive moves older deliveries into the compressed archive: they read back the
// same (listing across both buckets in id order), a retry of one is still a duplicate
// with its seqs, and retention deletes them.
func TestArchive(t *testing.T) {
	s, _ := tempStore(t)
	var want []StoredDelivery
	for i := range 50 {
		at := t0.Add(time.Duration(i) * time.Minute)
		d := delivery(fmt.Sprintf(`{"event_name":"IncomingCall","unique_id":"%d","src":"0912000%04d"}`, i, i), at)
		d.Key = fmt.Sprint("call:", i)
		a := mustAppend(t, s, d, event("IncomingCall", fmt.Sprint(i), at))
		want = append(want, StoredDelivery{ID: a.Delivery, Delivery: d, Seqs: a.Seqs})
	}
	n, err := s.ArchiveDeliveries(t0.Add(30 * time.Minute))
	if err != nil || n != 30 {
		t.Fatalf("archived %d (%v), want 30", n, err)
	}
	if bucketLen(t, s, bArchive) != 30 || bucketLen(t, s, bDeliveries) != 20 {
		t.Fatalf("archive %d, deliveries %d", bucketLen(t, s, bArchive), bucketLen(t, s, bDeliveries))
	}
	for _, after := range []uint64{0, 25, 35} {
		got, err := s.Deliveries(after, 10)
		if err != nil || len(got) != 10 {
			t.Fatalf("after %d: %d deliveries, %v", after, len(got), err)
		}
		for i, g := range got {
			w := want[int(after)+i]
			if g.ID != w.ID || !bytes.Equal(g.Body, w.Body) || g.Key != w.Key || !g.ReceivedAt.Equal(w.ReceivedAt) || g.Seqs[0] != w.Seqs[0] {
				t.Errorf("delivery %d read back as %+v, want %+v", w.ID, g, w)
			}
		}
	}
	if a := mustAppend(t, s, want[3].Delivery, event("IncomingCall", "3", t0)); !a.Duplicate || a.Delivery != want[3].ID || len(a.Seqs) != 1 || a.Seqs[0] != want[3].Seqs[0] {
		t.Errorf("a retry of an archived delivery: %+v", a)
	}
	if d, _, err := s.PruneLog(t0.Add(40*time.Minute), time.Time{}, 0); err != nil || d != 40 {
		t.Errorf("pruned %d deliveries (%v), want 40 (30 archived, 10 not)", d, err)
	}
	if got, _ := s.Deliveries(0, 100); len(got) != 10 || got[0].ID != want[40].ID {
		t.Errorf("after pruning: %d deliveries from id %d", len(got), got[0].ID)
	}
}

// TestSiteDictionary: once the log holds enough deliveries, the archive learns a
// dictionary from them, stores it in the file, and a fresh process (no dictionary
// known but the built-in one) reads every archived record back from the file's.
func TestSiteDictionary(t *testing.T) {
	s, path := tempStore(t)
	var bodies [][]byte
	for i := range 2 * learnRecords {
		at := t0.Add(time.Duration(i) * time.Second)
		body := fmt.Sprintf(`{"event_name":"NewState","exten":"%d","state":"Idle","site_field_%d":"%d"}`, 900+i%50, i%7, i)
		mustAppend(t, s, delivery(body, at), event("NewState", fmt.Sprint(i), at))
		bodies = append(bodies, []byte(body))
	}
	if _, err := s.ArchiveDeliveries(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	site := s.dict.Load()
	if site == deliveryDict1 {
		t.Fatal("no site dictionary learnt from 512 deliveries")
	}
	s.Close()
	dicts.Store(nil) // a new process knows only dictionary 1
	s = open(t, path, Options{NoSync: true})
	if s.dict.Load() != site {
		t.Fatalf("reopened with dictionary %x, the file's is %x", s.dict.Load(), site)
	}
	got, err := s.Deliveries(0, 1000)
	if err != nil || len(got) != len(bodies) {
		t.Fatalf("%d deliveries read back (%v), want %d", len(got), err, len(bodies))
	}
	for i, d := range got {
		if !bytes.Equal(d.Body, bodies[i]) {
			t.Fatalf("delivery %d: %q, want %q", i, d.Body, bodies[i])
		}
	}
}
