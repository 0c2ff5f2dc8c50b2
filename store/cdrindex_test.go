package store

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// cdrIndexProblems compares every CDR index with what the stored CDRs warrant: the
// time index (its keys and rows), each field's index, the value counts, the number
// grams and cdr_count. It lists the differences (at most a few per bucket).
func cdrIndexProblems(tx *bolt.Tx) []string {
	times := map[string]string{}
	fields := [nFields]map[string]bool{}
	counts := map[string]uint64{}
	for f := range fields {
		fields[f] = map[string]bool{}
	}
	var probs []string
	n := 0
	tx.Bucket(bCDRs).ForEach(func(id, v []byte) error {
		n++
		c, err := decodeCDR(v)
		if err != nil {
			probs = append(probs, fmt.Sprintf("cdr %s: %v", id, err))
			return nil
		}
		tk := tkey(binary.BigEndian.Uint64(v), string(id))
		vals := cdrValues(&c)
		times[string(tk)] = string(encodeRow(vals))
		for f, vs := range vals {
			for _, val := range vs {
				k := indexKey(f, val, tk)
				fields[f][string(k)] = true
				counts[string(valueCountKey(f, k))]++
			}
		}
		return nil
	})
	grams := map[string]bool{}
	for k := range counts {
		if k[0] == byte(fNumber) {
			v := []byte(k[1:])
			slices.Reverse(v)
			for _, g := range numberGrams(v) {
				grams[string(g)] = true
			}
		}
	}
	compare := func(name []byte, want map[string]string) {
		got := map[string]string{}
		tx.Bucket(name).ForEach(func(k, v []byte) error { got[string(k)] = string(v); return nil })
		stale, missing := 0, 0
		for k, v := range got {
			if w, ok := want[k]; !ok || w != v {
				if stale++; stale <= 3 {
					probs = append(probs, fmt.Sprintf("%s: key %q holds %q, warranted %q (%v)", name, k, v, w, ok))
				}
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				if missing++; missing <= 3 {
					probs = append(probs, fmt.Sprintf("%s: key %q missing", name, k))
				}
			}
		}
		if stale+missing > 0 {
			probs = append(probs, fmt.Sprintf("%s: %d keys, %d warranted: %d stale or wrong, %d missing", name, len(got), len(want), stale, missing))
		}
	}
	set := func(m map[string]bool) map[string]string {
		out := map[string]string{}
		for k := range m {
			out[k] = ""
		}
		return out
	}
	compare(bCDRTime, times)
	for f := range nFields {
		compare(fieldBuckets[f], set(fields[f]))
	}
	wantCounts := map[string]string{}
	for k, c := range counts {
		wantCounts[k] = string(u64(c))
	}
	compare(bCDRValueCounts, wantCounts)
	compare(bNumberGrams, set(grams))
	if got := cdrCount(tx); got != n {
		probs = append(probs, fmt.Sprintf("cdr_count %d, %d CDRs stored", got, n))
	}
	return probs
}

func checkCDRIndexes(t *testing.T, s *Store, when string) {
	t.Helper()
	var probs []string
	s.db.View(func(tx *bolt.Tx) error { probs = cdrIndexProblems(tx); return nil })
	for _, p := range probs {
		t.Errorf("%s: %s", when, p)
	}
}

// TestCDRIndexesHoldWhatTheCDRsWarrant stores CDRs, stores again a share of them
// changed the way a late record or the writer's reconcile does (another time across
// days, disposition, source, queue, legs, numbers; some twice in one batch, some
// unchanged), lets retention delete the oldest, stores late versions of deleted ones
// again, and after every step finds each index holding exactly the keys its CDRs
// warrant, with the value counts, the number grams and cdr_count agreeing.
func TestCDRIndexesHoldWhatTheCDRsWarrant(t *testing.T) {
	s, path := tempStore(t)
	calls := genCDRs(3000, 7)
	for i := 0; i < len(calls); i += 500 {
		if err := s.PutCDRs(t.Context(), calls[i:i+500]); err != nil {
			t.Fatal(err)
		}
	}
	checkCDRIndexes(t, s, "stored")

	r := rand.New(rand.NewPCG(11, 3))
	change := func(c call.Call) call.Call {
		c.Legs = slices.Clone(c.Legs)
		switch r.IntN(7) {
		case 0: // a later end, days away (a late record)
			c.EndedAt = call.T(cdrTime(&c).Add(time.Duration(r.IntN(72)-24) * time.Hour))
		case 1:
			c.Disposition = disps[r.IntN(len(disps))]
		case 2:
			c.Source = sources[r.IntN(len(sources))]
		case 3:
			c.Legs = append(c.Legs, call.Leg{Agent: fmt.Sprintf("agent%d", r.IntN(60)), Outcome: call.OutcomeAnswer})
			c.Agent = c.Legs[len(c.Legs)-1].Agent
		case 4:
			c.Legs, c.Agent = nil, ""
		case 5:
			c.Queue, c.From, c.DID = "", fmt.Sprintf("+98912%07d", r.IntN(50)), ""
		case 6: // unchanged: the same record again
		}
		return c
	}
	for round := range 4 {
		var batch []call.Call
		for range 400 {
			i := r.IntN(len(calls))
			calls[i] = change(calls[i])
			batch = append(batch, calls[i])
			if r.IntN(10) == 0 { // updated twice within one batch
				calls[i] = change(calls[i])
				batch = append(batch, calls[i])
			}
		}
		if err := s.PutCDRs(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
		checkCDRIndexes(t, s, fmt.Sprint("updates, round ", round))
	}

	cutoff := t0.Add(8 * time.Hour)
	n, err := s.PruneCDRs(cutoff)
	if err != nil || n == 0 {
		t.Fatalf("retention deleted %d: %v", n, err)
	}
	checkCDRIndexes(t, s, "after retention")
	var late []call.Call
	for _, c := range calls {
		if cdrTime(&c).Before(cutoff) && len(late) < 200 {
			late = append(late, change(c)) // a late record of a call retention deleted
		}
	}
	if err := s.PutCDRs(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	checkCDRIndexes(t, s, "late records after retention")
	if _, err := s.PruneCDRs(t0.Add(24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	checkCDRIndexes(t, s, "second retention")
	s.Close()
	checkCDRIndexes(t, open(t, path, Options{NoSync: true}), "reopened")
}
