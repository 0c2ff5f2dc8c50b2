package live

import (
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"ringside/server/call"
	"ringside/store"
)

// memLog is a log in memory with its by-call index, as the store answers it.
type memLog struct {
	evs  []call.Event
	fail error
}

// logged gives the events their log positions in the order given.
func logged(evs []call.Event) *memLog {
	l := &memLog{}
	for i, e := range evs {
		e.Seq = uint64(i + 1)
		l.evs = append(l.evs, e)
	}
	return l
}

func (l *memLog) callEvents(id string) ([]call.Event, error) {
	if l.fail != nil {
		return nil, l.fail
	}
	var out []call.Event
	for _, e := range l.evs {
		if e.Call == id {
			out = append(out, e)
		}
	}
	return out, nil
}

// compactConfig settles calls as soon as the clock moves past their end, so every
// late event reloads its call.
// eventsAt answers like store.EventsAt: a seq the log does not hold is an error.
func (l *memLog) eventsAt(seqs []uint64) (map[uint64]call.Event, error) {
	if l.fail != nil {
		return nil, l.fail
	}
	out := map[uint64]call.Event{}
	for _, seq := range seqs {
		if seq == 0 || seq > uint64(len(l.evs)) || l.evs[seq-1].Seq != seq {
			return nil, fmt.Errorf("event %d is not in the log", seq)
		}
		out[seq] = l.evs[seq-1]
	}
	return out, nil
}

func compactConfig(l *memLog) Config {
	cfg := testConfig()
	cfg.CallEvents, cfg.EventsAt, cfg.SettleAfter = l.callEvents, l.eventsAt, time.Nanosecond
	return cfg
}

func playOn(cfg Config, evs []call.Event) *Board {
	b := New(cfg)
	for _, e := range evs {
		b.Apply(e)
	}
	return b
}

func allScenarios() []*scenario {
	all := scenarios()
	var mixed []call.Event
	for _, s := range all {
		mixed = append(mixed, s.events...)
	}
	return append(all, &scenario{name: "all", events: mixed}, simotelCDRFirst())
}

// A board that lets settled calls go and reloads them for late events shows exactly
// what a board keeping every event shows, in log order and shuffled.
func TestCompactBoardEqualsFull(t *testing.T) {
	reloads := 0
	inEveryOrder(t, rand.New(rand.NewPCG(3, 4)), func(t *testing.T, s *scenario, n int, l *memLog, want string) {
		b := playOn(compactConfig(l), l.evs)
		if got := dump(t, b, s.events); got != want {
			t.Fatalf("order %d: compact board differs.\ngot:\n%s\nwant:\n%s", n, got, want)
		}
		ok, failed, _ := b.Reloads()
		if failed != 0 {
			t.Fatalf("%d reloads failed", failed)
		}
		reloads += ok
	})
	if reloads == 0 {
		t.Error("no late event ever reloaded a settled call: the test does not exercise compaction")
	}
}

// inEveryOrder runs check on every scenario's events in log order and in two shuffled
// orders, each logged as given, with what a board keeping every event shows of them.
func inEveryOrder(t *testing.T, r *rand.Rand, check func(t *testing.T, s *scenario, n int, l *memLog, want string)) {
	for _, s := range allScenarios() {
		t.Run(s.name, func(t *testing.T) {
			for n, evs := range [][]call.Event{s.events, shuffled(r, s.events), shuffled(r, s.events)} {
				l := logged(evs)
				check(t, s, n, l, dump(t, playOn(testConfig(), l.evs), s.events))
			}
		})
	}
}

// Settled calls hold no events; calls still open keep theirs.
func TestCompactDropsSettledEvents(t *testing.T) {
	s := simotelCDRFirst()
	l := logged(s.events)
	b := playOn(compactConfig(l), l.evs)
	// a later event of another source moves the clock on
	last := l.evs[len(l.evs)-1]
	b.Apply(call.Event{Source: "x", Type: call.AgentState, Agent: "x:1", At: last.At.Add(time.Hour), AgentState: "idle",
		ReceivedAt: last.At.Add(time.Hour), Seq: uint64(len(l.evs) + 1)})
	settled := 0
	for id, ce := range b.calls {
		switch {
		case ce.view.State == call.StateEnded && !ce.ghost:
			if !ce.compact || ce.events != nil {
				t.Errorf("%s ended an hour ago and still holds %d events", id, len(ce.events))
			}
			if full := ce.full(); ce.packed == nil || ce.view.Legs != nil || len(full.Legs) == 0 {
				t.Errorf("%s: lists not packed (%d legs in the view, %d unpacked)", id, len(ce.view.Legs), len(full.Legs))
			}
			settled++
		case ce.compact:
			t.Errorf("%s (%s) compacted before it ended", id, ce.view.State)
		}
	}
	if settled == 0 {
		t.Fatal("no ended call in the scenario")
	}
}

// A compact board's snapshot, restored and given the rest of the log, equals the board
// that applied all of it, at every split point.
func TestCompactSnapshotRestore(t *testing.T) {
	for _, s := range allScenarios() {
		t.Run(s.name, func(t *testing.T) {
			l := logged(s.events)
			want := dump(t, playOn(testConfig(), l.evs), s.events)
			for k := 0; k <= len(l.evs); k++ {
				data, err := playOn(compactConfig(l), l.evs[:k]).Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				b, err := Restore(compactConfig(l), data)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range l.evs[k:] {
					b.Apply(e)
				}
				if got := dump(t, b, s.events); got != want {
					t.Fatalf("split at %d:\ngot:\n%s\nwant:\n%s", k, got, want)
				}
			}
		})
	}
}

// Under a changed directory, settled calls are refolded from the log (as a replay
// would show them); with no log to read, the snapshot is refused (the caller replays).
func TestCompactRestoreWithNewDirectory(t *testing.T) {
	s := voipexRingAllMissed()
	l := logged(s.events)
	// a later event of another source moves the clock on: the calls settle
	l.evs = append(l.evs, call.Event{Source: "x", Type: call.AgentState, Agent: "x:1", At: now, AgentState: "idle",
		ReceivedAt: now, Seq: uint64(len(l.evs) + 1)})
	b := playOn(compactConfig(l), l.evs)
	if ce := b.calls["ipex:"+voipexMissed]; ce == nil || !ce.compact {
		t.Fatal("the call did not settle")
	}
	data, _ := b.Snapshot()
	cfg := compactConfig(l)
	cfg.Directory = append(cfg.Directory, DirectoryEntry{ID: "jan", Name: "Jan Červenka", Match: []string{"ipex:20"}})
	restored, err := Restore(cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	replayCfg := cfg
	replayCfg.CallEvents = nil
	if got, want := dump(t, restored, s.events), dump(t, playOn(replayCfg, l.evs), s.events); got != want {
		t.Errorf("restored:\n%s\nreplayed:\n%s", got, want)
	}
	if c := callOf(t, restored, "ipex:"+voipexMissed); c.Legs[1].Agent != "jan" {
		t.Errorf("legs = %+v", c.Legs)
	}
	if _, err := Restore(replayCfg, data); err == nil {
		t.Error("a snapshot of settled calls was restored under a new directory with no log to refold them from")
	}
	same := compactConfig(l)
	same.CallEvents = nil
	if _, err := Restore(same, data); err != nil {
		t.Errorf("same directory, no log: %v", err)
	}
}

// A log that cannot be read leaves the settled call as it was and says so; the late
// event is applied once the log answers again.
func TestCompactReloadFailure(t *testing.T) {
	// the first late event of any scenario, shuffled: its call settled before it arrived
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range allScenarios() {
		l := logged(shuffled(r, s.events))
		for k := 1; k < len(l.evs); k++ {
			b := playOn(compactConfig(l), l.evs[:k])
			if ce := b.calls[l.evs[k].Call]; ce != nil && ce.compact {
				checkReloadFailure(t, s, l, b, k)
				return
			}
		}
	}
	t.Fatal("no scenario has an event for a settled call")
}

func checkReloadFailure(t *testing.T, s *scenario, l *memLog, b *Board, k int) {
	id := l.evs[k].Call
	before, _ := b.Call(id)
	l.fail = errors.New("disk on fire")
	b.Apply(l.evs[k])
	if _, failed, err := b.Reloads(); failed != 1 || err == nil {
		t.Fatalf("failed %d, err %v", failed, err)
	}
	if c, _ := b.Call(id); !callEqual(&c, &before) {
		t.Errorf("%s: the call changed though its events could not be read", s.name)
	}
	l.fail = nil
	for _, e := range l.evs[k:] { // the runner applies the event again after a replay; here: at once
		b.Apply(e)
	}
	want := dump(t, playOn(testConfig(), l.evs), s.events)
	if got := dump(t, b, s.events); got != want {
		t.Errorf("%s: after the log answered again:\ngot:\n%s\nwant:\n%s", s.name, got, want)
	}
}

// Through the real store: the log's by-call index gives a settled call back its events.
func TestCompactWithStore(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "ringside.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := rand.New(rand.NewPCG(7, 8))
	var all []call.Event
	for _, s := range allScenarios() {
		all = append(all, s.events...)
	}
	evs := shuffled(r, all)
	for i, e := range evs {
		d := store.Delivery{Source: e.Source, Method: "POST", Path: "/hooks/" + e.Source, ReceivedAt: e.ReceivedAt,
			Body: []byte(fmt.Sprint(i))}
		if d.ReceivedAt.IsZero() {
			d.ReceivedAt = e.At
		}
		if _, err := st.Append(context.Background(), d, []call.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	logged, err := st.Events(0, len(evs)+1)
	if err != nil || len(logged) != len(evs) {
		t.Fatalf("%d events read back of %d: %v", len(logged), len(evs), err)
	}
	cfg := testConfig()
	cfg.CallEvents, cfg.SettleAfter = st.CallEvents, time.Nanosecond
	b := playOn(cfg, logged)
	want := dump(t, playOn(testConfig(), logged), all)
	if got := dump(t, b, all); got != want {
		t.Fatalf("compact board over the store differs.\ngot:\n%s\nwant:\n%s", got, want)
	}
	if ok, failed, err := b.Reloads(); ok == 0 || failed != 0 {
		t.Errorf("reloads: %d ok, %d failed (%v)", ok, failed, err)
	}
}

// A snapshot written by encoding/json (Ringside before go-json, in one document as
// before chunks) restores the same board, and encoding/json reads go-json's: the two
// libraries write the same JSON.
func TestSnapshotReadsEitherJSONLibrary(t *testing.T) {
	for _, s := range allScenarios() {
		l := logged(s.events)
		b := playOn(compactConfig(l), l.evs)
		data, err := json.Marshal(b.snapshotDoc(false))
		if err != nil {
			t.Fatal(err)
		}
		var viaStd snapshot
		if err := stdjson.Unmarshal(data, &viaStd); err != nil {
			t.Fatalf("%s: encoding/json cannot read the snapshot: %v", s.name, err)
		}
		std, err := stdjson.Marshal(viaStd)
		if err != nil {
			t.Fatal(err)
		}
		restored, err := Restore(compactConfig(l), std)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := dump(t, restored, s.events), dump(t, b, s.events); got != want {
			t.Fatalf("%s: restored from encoding/json's snapshot:\n%s\nwant:\n%s", s.name, got, want)
		}
	}
}

// Past MaxUnsettled ended calls those that ended first settle early: under a flood of
// short calls the board holds a bounded number of calls' events, and shows exactly what
// a board keeping every event shows, late events (shuffled orders) included.
func TestUnsettledCallsAreBounded(t *testing.T) {
	early := 0
	inEveryOrder(t, rand.New(rand.NewPCG(5, 6)), func(t *testing.T, s *scenario, n int, l *memLog, want string) {
		cfg := testConfig()
		cfg.CallEvents, cfg.EventsAt, cfg.MaxUnsettled = l.callEvents, l.eventsAt, 1
		b := New(cfg)
		for i, e := range l.evs {
			b.Apply(e)
			if held := heldEnded(b); held > 2 {
				t.Fatalf("order %d, event %d: %d ended calls hold their events, bound 1 (+1 before a pass)", n, i, held)
			}
		}
		if got := dump(t, b, s.events); got != want {
			t.Fatalf("order %d: the bounded board differs.\ngot:\n%s\nwant:\n%s", n, got, want)
		}
		if _, failed, _ := b.Reloads(); failed != 0 {
			t.Fatalf("%d reloads failed", failed)
		}
		early += b.SettledEarly()
	})
	if early == 0 {
		t.Error("no call ever settled early: the test does not exercise the bound")
	}
}

// heldEnded counts the ended calls that keep their events.
func heldEnded(b *Board) int {
	n := 0
	for _, ce := range b.calls {
		if ce.view.State == call.StateEnded && !ce.compact && !ce.ghost {
			n++
		}
	}
	return n
}
