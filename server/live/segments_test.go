package live

import (
	"bytes"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"ringside/server/call"
)

// segStore keeps snapshots as the store does: the latest head and every segment added
// since the last full one.
type segStore struct {
	head       []byte
	segments   [][]byte
	records    int
	tombstones int // written so far
}

// snapshot stores b's snapshot; full when it is due, or when forced.
func (s *segStore) snapshot(t *testing.T, b *Board, force bool) {
	t.Helper()
	d, err := b.SnapshotDelta(force || b.SnapshotDue(s.records))
	if err != nil {
		t.Fatal(err)
	}
	if d.Full {
		s.segments, s.records = nil, 0
	}
	for _, seg := range d.Segments {
		var records []snapCall
		if err := json.Unmarshal(seg, &records); err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if r.Settled == nil {
				s.tombstones++
			}
		}
	}
	s.head, s.segments, s.records = d.Head, append(s.segments, d.Segments...), s.records+d.Records
	b.DeltaStored(d)
}

// A board snapshotted after every event in segments (each adding the calls settled,
// reloaded or dropped since the one before; every fifth writing them all) restores, at every point, to the board it
// was: its whole snapshot is the same, and given the rest of the log it ends as the
// board that applied all of it. The compact configuration settles calls at once, so
// late events reload settled calls and settle them again; a day later the retention
// sweep drops them.
func TestSegmentedSnapshots(t *testing.T) {
	tombstones := 0
	for _, s := range allScenarios() {
		t.Run(s.name, func(t *testing.T) {
			l := logged(s.events)
			last := l.evs[len(l.evs)-1]
			for _, later := range []time.Duration{time.Hour, 72 * time.Hour} { // the calls settle; then they are dropped
				l.evs = append(l.evs, call.Event{Source: "x", Type: call.AgentState, Agent: "x:1", AgentState: "idle",
					At: last.At.Add(later), ReceivedAt: last.At.Add(later), Seq: uint64(len(l.evs) + 1)})
			}
			want := dump(t, playOn(compactConfig(l), l.evs), s.events)
			b, st := New(compactConfig(l)), &segStore{}
			for k, e := range l.evs {
				b.Apply(e)
				st.snapshot(t, b, k%5 == 4) // a full one now and then, replacing the segments
				restored, err := RestoreSegments(compactConfig(l), st.head, st.segments)
				if err != nil {
					t.Fatalf("after event %d: %v", k+1, err)
				}
				mustSameSnapshot(t, restored, b, k+1)
				for _, e := range l.evs[k+1:] {
					restored.Apply(e)
				}
				if got := dump(t, restored, s.events); got != want {
					t.Fatalf("restored after event %d, then the rest:\ngot:\n%s\nwant:\n%s", k+1, got, want)
				}
			}
			if b.settledCount() != 0 {
				t.Errorf("%d settled calls left after the retention sweep", b.settledCount())
			}
			tombstones += st.tombstones
		})
	}
	if tombstones == 0 {
		t.Error("no settled call was ever reloaded or dropped: the test does not exercise tombstones")
	}
}

func mustSameSnapshot(t *testing.T, got, want *Board, at int) {
	t.Helper()
	g, err := got.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("after event %d the restored board differs:\ngot  %s\nwant %s", at, g, w)
	}
}

// Segments that do not hold what the head counts are refused (the caller replays the
// log): one left out, or a tombstone lost.
func TestSegmentedSnapshotRefusesMissingSegments(t *testing.T) {
	all := allScenarios()
	l := logged(all[len(all)-2].events) // every scenario's events, one after another
	b, st := New(compactConfig(l)), &segStore{}
	for _, e := range l.evs {
		b.Apply(e)
		st.snapshot(t, b, false)
	}
	last := l.evs[len(l.evs)-1]
	b.Apply(call.Event{Source: "x", Type: call.AgentState, Agent: "x:1", AgentState: "idle",
		At: last.At.Add(time.Hour), ReceivedAt: last.At.Add(time.Hour), Seq: last.Seq + 1})
	st.snapshot(t, b, false)
	if b.settledCount() == 0 || len(st.segments) < 2 {
		t.Fatalf("%d settled calls in %d segments: nothing to test", b.settledCount(), len(st.segments))
	}
	if _, err := RestoreSegments(compactConfig(l), st.head, st.segments); err != nil {
		t.Fatal(err)
	}
	for i := range st.segments {
		cut := append(append([][]byte(nil), st.segments[:i]...), st.segments[i+1:]...)
		if _, err := RestoreSegments(compactConfig(l), st.head, cut); err == nil && bytes.Contains(st.segments[i], []byte(`"settled"`)) {
			t.Errorf("segment %d of %d left out: restored without an error", i+1, len(st.segments))
		}
	}
}
