package store

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"ringside/server/call"
)

// Segments come back oldest first with the head they were stored with; a full set
// replaces the stored ones, a snapshot written whole drops them, and the records
// count follows. They survive a reopen.
func TestSnapshotSegments(t *testing.T) {
	s, path := tempStore(t)
	if _, err := s.Append(context.Background(), delivery("x", t0), []call.Event{event("IncomingCall", "1", t0)}); err != nil {
		t.Fatal(err)
	}
	seg := func(n int) []byte { return fmt.Appendf(nil, `[{"segment":%d}]`, n) }
	check := func(step string, head string, want [][]byte, records int) {
		t.Helper()
		_, h, err := s.Snapshot()
		if err != nil || string(h) != head {
			t.Fatalf("%s: head %q, %v; want %q", step, h, err, head)
		}
		got, err := s.SnapshotSegments()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("%s: segments %q, want %q", step, got, want)
		}
		if n := s.SnapshotRecords(); n != records {
			t.Fatalf("%s: %d records, want %d", step, n, records)
		}
	}
	put := func(head string, full bool, records int, segs ...[]byte) {
		t.Helper()
		if err := s.PutSnapshotSegments(1, []byte(head), Segments{Add: segs, Records: records, Full: full}); err != nil {
			t.Fatal(err)
		}
	}
	put("h1", true, 20, seg(1), seg(2))
	check("full", "h1", [][]byte{seg(1), seg(2)}, 20)
	put("h2", false, 3, seg(3))
	put("h3", false, 0)
	check("added", "h3", [][]byte{seg(1), seg(2), seg(3)}, 23)
	put("h4", true, 5, seg(4))
	check("replaced", "h4", [][]byte{seg(4)}, 5)
	put("h5", false, 2, seg(5))
	s.Close()
	s = open(t, path, Options{NoSync: true})
	check("reopened", "h5", [][]byte{seg(4), seg(5)}, 7)
	if err := s.PutSnapshot(1, []byte("whole")); err != nil {
		t.Fatal(err)
	}
	check("whole", "whole", nil, 0)
}
