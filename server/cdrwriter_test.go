package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/store"
)

// TestCDRWriterHealsFromTheLog: calls ended in the log whose CDRs were never stored
// (a writer that failed, a crash) get them when the writer starts, folded from their
// events, and the CDR mark moves past them.
func TestCDRWriterHealsFromTheLog(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "ringside.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-time.Hour).UTC()
	ids := []string{"pbx1:a", "pbx1:b", "pbx1:open"}
	for i, id := range ids {
		evs := []call.Event{{Source: "pbx1", Vendor: "simotel", Name: "IncomingCall", Type: call.CallOffered, Call: id,
			At: at, ReceivedAt: at, Direction: call.Inbound, From: "0912000000" + string(rune('0'+i))}}
		if id != "pbx1:open" {
			evs = append(evs, call.Event{Source: "pbx1", Vendor: "simotel", Name: "Hangup", Type: call.CallEnded, Call: id,
				At: at.Add(time.Minute), ReceivedAt: at.Add(time.Minute), EndedAt: call.T(at.Add(time.Minute))})
		}
		if _, err := st.Append(context.Background(), store.Delivery{Source: "pbx1", Body: []byte(id)}, evs); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutSnapshot(st.LastSeq(), nil); err != nil { // a board had applied them all
		t.Fatal(err)
	}
	w := startCDRWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), live.Config{}, nil)
	if !w.flush() {
		t.Fatal("the writer reports a failed write")
	}
	w.close()
	for _, id := range ids {
		c, ok, err := st.CDR(id)
		if err != nil || ok != (id != "pbx1:open") {
			t.Errorf("%s: CDR stored %v (%v), want it for ended calls only", id, ok, err)
		}
		if ok && (c.State != call.StateEnded || c.From == "") {
			t.Errorf("%s: folded CDR %+v", id, c)
		}
	}
	if m := st.CDRMark(); m != st.LastSeq() {
		t.Errorf("CDR mark %d, want %d", m, st.LastSeq())
	}
}

// TestSweepKeepsWhatARestartNeeds: the writer's sweep deletes raw deliveries and
// events past their retention, but no event after the board's snapshot.
func TestSweepKeepsWhatARestartNeeds(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "ringside.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	for i := range 10 {
		at := now.Add(-time.Duration(100-i) * 24 * time.Hour) // 100 to 91 days ago
		ev := call.Event{Source: "pbx1", Name: "NewState", Type: call.AgentState, Agent: "pbx1:99" + string(rune('0'+i)), At: at, ReceivedAt: at}
		if _, err := st.Append(context.Background(), store.Delivery{Source: "pbx1", Body: []byte{byte(i)}, ReceivedAt: at}, []call.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutSnapshot(4, nil); err != nil {
		t.Fatal(err)
	}
	w := startCDRWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), live.Config{}, nil)
	defer w.close()
	w.flush()
	w.sweep(now, &config.Config{RawRetentionDays: 95, EventRetentionDays: 95})
	w.flush()
	ds, _ := st.Deliveries(0, 100)
	evs, _ := st.Events(0, 100)
	if len(ds) != 5 || len(evs) != 6 || evs[0].Seq != 5 {
		t.Errorf("%d deliveries (want the 5 of the last 95 days), %d events from seq %d (want 6 from 5: none after the snapshot's seq 4 go)",
			len(ds), len(evs), evs[0].Seq)
	}
	// what /metrics reports: the 10 archived first, then 5 deleted and 4 events
	sw := &w.swept
	if a, d, e := sw.archived.Load(), sw.deliveries.Load(), sw.events.Load(); a != 10 || d != 5 || e != 4 || sw.errors.Load() != 0 {
		t.Errorf("retention counted %d archived, %d deliveries and %d events deleted (%d errors), want 10, 5, 4 (0)", a, d, e, sw.errors.Load())
	}
}

// TestCDRWriterFoldPanic: folding a call from the log, the writer meets an event whose
// apply panics (after changing its board halfway). The writer lives, sets that event
// aside, and stores the call's CDR folded without it; the log then reads the event as
// its stand-in.
func TestCDRWriterFoldPanic(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "ringside.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	panicOn(t, "703")
	at := time.Now().Add(-time.Hour).UTC()
	id := "pbx1:fold"
	evs := []call.Event{
		{Source: "pbx1", Vendor: "simotel", Name: "IncomingCall", Type: call.CallOffered, Call: id, At: at, ReceivedAt: at,
			Direction: call.Inbound, From: "09120000001"},
		{Source: "pbx1", Vendor: "simotel", Name: "NewState", Type: call.LegRinging, Call: id, Agent: "pbx1:703",
			At: at.Add(time.Second), ReceivedAt: at.Add(time.Second)},
		{Source: "pbx1", Vendor: "simotel", Name: "Hangup", Type: call.CallEnded, Call: id,
			At: at.Add(time.Minute), ReceivedAt: at.Add(time.Minute), EndedAt: call.T(at.Add(time.Minute))},
	}
	if _, err := st.Append(context.Background(), store.Delivery{Source: "pbx1", Body: []byte(id)}, evs); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSnapshot(st.LastSeq(), nil); err != nil { // a board had applied them all
		t.Fatal(err)
	}
	var setAside []uint64
	w := startCDRWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), live.Config{}, func(p *applyPanic) {
		setAside = append(setAside, p.seq)
		st.Quarantine(p.seq, p.reason())
	})
	if !w.flush() {
		t.Fatal("the writer reports a failed write")
	}
	w.close()
	if len(setAside) != 1 || setAside[0] != 2 {
		t.Errorf("events set aside: %v, want [2]", setAside)
	}
	c, ok, err := st.CDR(id)
	if err != nil || !ok || c.State != call.StateEnded || c.From != "09120000001" {
		t.Fatalf("the call's CDR: %v %v %+v", ok, err, c)
	}
	if len(c.Legs) != 0 {
		t.Errorf("the CDR keeps the leg of the event that panicked: %+v", c.Legs)
	}
	logged, _ := st.Events(0, 10)
	if _, unreadable := store.Unreadable(logged[1]); !unreadable {
		t.Errorf("event 2 reads %+v after it was set aside", logged[1])
	}
}

// TestCDRWriterHoldsDuringABurst: while intake is saturated the writer stores nothing
// (its transactions would hold the write lock the log's commits need) until the burst
// ends, cdrHoldCalls have gathered, or someone waits for a flush.
func TestCDRWriterHoldsDuringABurst(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "ringside.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var burst atomic.Bool
	burst.Store(true)
	w := newCDRWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), live.Config{}, nil)
	w.busy = burst.Load
	go w.run()
	defer w.close()
	at := time.Now().Add(-time.Hour).UTC()
	ended := func(prefix string, n int) []call.Call {
		calls := make([]call.Call, n)
		for i := range calls {
			calls[i] = call.Call{ID: fmt.Sprintf("pbx1:%s%d", prefix, i), Source: "pbx1", Vendor: "simotel", State: call.StateEnded,
				Direction: call.Inbound, From: "09120000000", StartedAt: call.T(at), EndedAt: call.T(at.Add(time.Minute))}
		}
		return calls
	}
	stored := func(id string) bool {
		_, ok, err := st.CDR(id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	waitStored := func(id, why string) {
		for deadline := time.Now().Add(5 * time.Second); !stored(id); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s has no CDR after 5 s", why, id)
			}
		}
	}

	w.put(0, ended("held", 1), nil, nil)
	time.Sleep(4 * cdrLinger)
	if stored("pbx1:held0") {
		t.Fatal("a CDR was stored during the burst")
	}
	burst.Store(false)
	waitStored("pbx1:held0", "the burst ended")

	burst.Store(true)
	w.put(0, ended("flushed", 1), nil, nil)
	if !w.flush() || !stored("pbx1:flushed0") {
		t.Fatal("a flush during the burst did not store what came before it")
	}

	w.put(0, ended("many", cdrHoldCalls), nil, nil)
	waitStored(fmt.Sprintf("pbx1:many%d", cdrHoldCalls-1), "cdrHoldCalls gathered during the burst")
}
