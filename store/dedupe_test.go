package store

import (
	"testing"
	"time"
)

// A call-scoped ring is judged on the agent's legs and sealed by their answer: its retry
// is recognized after the agent's state moved on (answered, even idle again), while a
// second ring round after an unanswered ring ended is kept.
func TestDedupeMarksAndSeal(t *testing.T) {
	s, _ := tempStore(t)
	at := t0
	send := func(body, stream, seal string, marks ...string) Appended {
		t.Helper()
		at = at.Add(time.Second)
		d := delivery(body, at)
		d.Stream, d.Marks = stream, marks
		if seal != "" {
			d.Seals = []string{seal}
		}
		return mustAppend(t, s, d, event("NewState", "", at))
	}
	idle := func() Appended { return send("idle 991", "agent:991", "", "agent:991", "legs:991") }
	ring := func() Appended { return send("ring 991 C", "legs:991", "answered:991:C", "agent:991") }
	answer := func() Appended { return send("inuse 991 C", "", "", "agent:991", "answered:991:C") }

	idle1 := idle()
	ring1 := ring()
	if r := ring(); !r.Duplicate || r.Delivery != ring1.Delivery {
		t.Fatalf("immediate retry of the ring: %+v", r)
	}
	if idle2 := idle(); idle2.Duplicate {
		t.Fatalf("Idle after a ring is a new state, got %+v (first %+v)", idle2, idle1)
	}
	ring2 := ring()
	if ring2.Duplicate {
		t.Fatal("a second ring round after the first one ended was taken for a retry")
	}
	ans := answer()
	if r := ring(); !r.Duplicate || r.Delivery != ring2.Delivery {
		t.Fatalf("retry of the ring after the answer: %+v, want a duplicate of %d", r, ring2.Delivery)
	}
	if idle3 := idle(); idle3.Duplicate {
		t.Fatal("Idle after the call: new state")
	}
	if r := ring(); !r.Duplicate {
		t.Fatalf("retry of the answered ring after the agent went idle: %+v", r)
	}
	if r := answer(); !r.Duplicate || r.Delivery != ans.Delivery {
		t.Fatalf("retry of the answer after idle: %+v", r)
	}
	if got := s.LastSeq(); got != 6 {
		t.Fatalf("logged %d deliveries, want 6 (idle, ring, idle, ring, answer, idle)", got)
	}
}
