package live

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"ringside/server/call"
)

// manySettled is a board over copies of every scenario, each copy its own calls a
// minute after the one before (all within the board's two days), with the clock
// moved on so that the ended ones settle: more settled calls than three chunks hold.
func manySettled(t *testing.T) (*Board, []call.Event, Config) {
	t.Helper()
	var base []call.Event
	for _, s := range scenarios() {
		base = append(base, s.events...)
	}
	var evs []call.Event
	byCall := map[string][]call.Event{}
	for k := 0; len(byCall) < 4*settledChunk; k++ {
		shift := time.Duration(k) * time.Minute
		for _, e := range base {
			if e.Call != "" {
				e.Call = fmt.Sprintf("%s~%d", e.Call, k)
			}
			e.At, e.ReceivedAt = e.At.Add(shift), e.ReceivedAt.Add(shift)
			for _, p := range []**time.Time{&e.StartedAt, &e.AnsweredAt, &e.EndedAt} {
				if *p != nil {
					t := (*p).Add(shift)
					*p = &t
				}
			}
			e.Seq = uint64(len(evs) + 1)
			evs = append(evs, e)
			if e.Call != "" {
				byCall[e.Call] = append(byCall[e.Call], e)
			}
		}
	}
	last := evs[len(evs)-1]
	evs = append(evs, call.Event{Source: "x", Type: call.AgentState, Agent: "x:1", At: last.ReceivedAt.Add(time.Hour),
		AgentState: "idle", ReceivedAt: last.ReceivedAt.Add(time.Hour), Seq: uint64(len(evs) + 1)})
	cfg := testConfig()
	cfg.SettleAfter = time.Nanosecond
	cfg.CallEvents = func(id string) ([]call.Event, error) { return byCall[id], nil }
	return playOn(cfg, evs), evs, cfg
}

// whole is everything a board shows: its calls, agents, queues and callbacks.
func whole(t *testing.T, b *Board, evs []call.Event) string {
	cbs, err := json.Marshal(b.Callbacks())
	if err != nil {
		t.Fatal(err)
	}
	return dump(t, b, evs) + "\ncallbacks: " + string(cbs)
}

// A snapshot of thousands of settled calls, in chunks, restores the board it was taken
// of, and so does the same board written as one document (a snapshot from before
// chunks); either restored board snapshots to the same bytes again.
func TestSnapshotChunksRoundTrip(t *testing.T) {
	b, evs, cfg := manySettled(t)
	settled := 0
	for _, ce := range b.calls {
		if ce.compact {
			settled++
		}
	}
	if settled < 3*settledChunk {
		t.Fatalf("%d settled calls: fewer than three chunks", settled)
	}
	data, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	docs, err := splitDocs(data[len(snapMagic):])
	if err != nil || len(docs) < 4 {
		t.Fatalf("%d documents (%v): want a head and at least three chunks", len(docs), err)
	}
	legacy, err := json.Marshal(b.snapshotDoc(false))
	if err != nil {
		t.Fatal(err)
	}
	want := whole(t, b, evs)
	if !strings.Contains(want, `"ended"`) || len(b.Callbacks()) == 0 {
		t.Fatal("the board shows no ended call or no callback: the comparison proves little")
	}
	for name, snap := range map[string][]byte{"chunks": data, "one document": legacy} {
		restored, err := Restore(cfg, snap)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := whole(t, restored, evs); got != want {
			t.Fatalf("%s: the restored board differs:\n%s", name, firstDiff(got, want))
		}
		again, err := restored.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Errorf("%s: the restored board's snapshot differs from the one it was restored from", name)
		}
	}
}

// firstDiff shows where two dumps part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\ngot  %s\nwant %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// A damaged chunked snapshot is refused (the caller then replays the log), never
// restored with calls missing: a chunk cut short, a chunk left out, a chunk that is
// not JSON, a head that says more calls than the chunks hold.
func TestSnapshotChunksRefuseDamage(t *testing.T) {
	b, _, cfg := manySettled(t)
	data, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	docs, err := splitDocs(data[len(snapMagic):])
	if err != nil {
		t.Fatal(err)
	}
	join := func(docs ...[]byte) []byte {
		out := append([]byte(nil), snapMagic...)
		for _, d := range docs {
			out = binary.AppendUvarint(out, uint64(len(d)))
			out = append(out, d...)
		}
		return out
	}
	if _, err := Restore(cfg, join(docs...)); err != nil {
		t.Fatalf("the documents joined again: %v", err)
	}
	notJSON := bytes.Repeat([]byte("x"), len(docs[2]))
	headMore := bytes.Replace(docs[0], []byte(`"settled":`), []byte(`"settled":1`), 1)
	for name, snap := range map[string][]byte{
		"cut short":          data[:len(data)-10],
		"a chunk left out":   join(append([][]byte{docs[0], docs[1]}, docs[3:]...)...),
		"a chunk not JSON":   join(append([][]byte{docs[0], docs[1], notJSON}, docs[3:]...)...),
		"the head says more": join(append([][]byte{headMore}, docs[1:]...)...),
		"no head":            snapMagic,
	} {
		if _, err := Restore(cfg, snap); err == nil {
			t.Errorf("%s: restored", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// A panic while agents' parts and callback facts are restored (on a goroutine of their
// own, which no caller's recover reaches) is the restore's error, so the server
// replays the log instead of dying; the chunks after it are still taken, so the
// restoring goroutine is never left blocked.
func TestRestoreSidesPanicIsAnError(t *testing.T) {
	b := New(testConfig())
	in, done := make(chan restoredChunk), make(chan error, 1)
	go b.restoreSides(in, done)
	settled := []snapCall{{ID: "c1", Settled: &snapSettled{}}}
	in <- restoredChunk{calls: settled, entries: []*callEntry{nil}} // no entry: noteCallback panics
	in <- restoredChunk{calls: settled, entries: []*callEntry{nil}}
	close(in)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("got %v, want the panic as an error", err)
	}
}
