package live

import (
	"math/rand/v2"
	"testing"
	"time"

	"ringside/server/call"
)

// shuffled returns the events in a random order, some delivered more than once (as
// retries: another log position and receive time).
func shuffled(r *rand.Rand, evs []call.Event) []call.Event {
	out := append([]call.Event(nil), evs...)
	for _, e := range evs {
		if r.IntN(3) == 0 {
			e.Seq = uint64(r.IntN(1000))
			e.ReceivedAt = e.ReceivedAt.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
			out = append(out, e)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Any order, any duplicates: the same calls, agents and today's counters.
func TestConvergence(t *testing.T) {
	all := scenarios()
	// Every scenario together on one board too: sources and agents interleave.
	var mixed []call.Event
	for _, s := range all {
		mixed = append(mixed, s.events...)
	}
	all = append(all, &scenario{name: "all", events: mixed}, simotelCDRFirst())
	for i, s := range all {
		t.Run(s.name, func(t *testing.T) {
			b, _ := play(s.events)
			want := dump(t, b, s.events)
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for n := 0; n < 150; n++ {
				evs := shuffled(r, s.events)
				b, _ := play(evs)
				if got := dump(t, b, s.events); got != want {
					t.Fatalf("shuffle %d differs.\norder:%s\ngot:\n%s\nwant:\n%s", n, names(evs), got, want)
				}
			}
		})
	}
}

func names(evs []call.Event) string {
	s := ""
	for _, e := range evs {
		s += "\n  " + e.At.Format("15:04:05.000") + " " + string(e.Type) + " " + e.Call + " " + e.Agent
	}
	return s
}

// Restore + replay of the rest of the log == applying all of it, at every split point,
// in order and shuffled.
func TestSnapshotRestore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range scenarios() {
		t.Run(s.name, func(t *testing.T) {
			for _, evs := range [][]call.Event{s.events, shuffled(r, s.events)} {
				full, _ := play(evs)
				want := dump(t, full, s.events)
				wantSnap, err := full.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				for k := 0; k <= len(evs); k++ {
					half, _ := play(evs[:k])
					data, err := half.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					b, err := Restore(testConfig(), data)
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range evs[k:] {
						b.Apply(e)
					}
					if got := dump(t, b, s.events); got != want {
						t.Fatalf("split at %d:\ngot:\n%s\nwant:\n%s", k, got, want)
					}
					if got, _ := b.Snapshot(); string(got) != string(wantSnap) {
						t.Fatalf("split at %d: the snapshot of the restored board differs", k)
					}
				}
			}
		})
	}
}

func TestRestoreRejects(t *testing.T) {
	if _, err := Restore(testConfig(), []byte("{")); err == nil {
		t.Error("bad JSON accepted")
	}
	if _, err := Restore(testConfig(), []byte(`{"version":99}`)); err == nil {
		t.Error("unknown version accepted")
	}
}

// A restored snapshot regroups agents under a changed directory exactly as a full replay would.
func TestRestoreWithNewDirectory(t *testing.T) {
	s := voipexRingAllMissed()
	b, _ := play(s.events)
	data, _ := b.Snapshot()
	cfg := testConfig()
	cfg.Directory = append(cfg.Directory, DirectoryEntry{ID: "jan", Name: "Jan Červenka", Match: []string{"ipex:20"}})
	restored, err := Restore(cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	replayed := New(cfg)
	for _, e := range s.events {
		replayed.Apply(e)
	}
	if got, want := dump(t, restored, s.events), dump(t, replayed, s.events); got != want {
		t.Errorf("restored:\n%s\nreplayed:\n%s", got, want)
	}
	if c := callOf(t, restored, "ipex:"+voipexMissed); c.Legs[1].Agent != "jan" {
		t.Errorf("legs = %+v", c.Legs)
	}
}
