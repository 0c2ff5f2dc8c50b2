package live

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/ingest"
	"ringside/server/sim"
)

// simHistory is the simulator's mixed traffic of all four vendors as the server would
// log it: stories started every step from t0, their deliveries in the order they are
// received (stories interleaved), decoded by the real decoders.
func simHistory(t *testing.T, seed uint64, stories int, speed float64, step time.Duration, t0 time.Time) []call.Event {
	t.Helper()
	tz := func(name string) *time.Location {
		l, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	srcs := []sim.Source{
		{Name: "pbx", Vendor: "simotel", Username: "hook", Password: "pw", Location: tz("Asia/Tehran"), Variant: sim.VariantMix},
		{Name: "ipex", Vendor: "voipex", Username: "hook", Password: "pw", Location: tz("Europe/Prague"), Variant: sim.VariantMix},
		{Name: "cloud", Vendor: "cloudcdr", Token: "tok", Variant: sim.VariantMix},
		{Name: "sipsim", Vendor: "sipsim", SigningSecret: "secret", Location: tz("Europe/Minsk"), Variant: sim.VariantMix},
	}
	g := sim.NewGenerator(seed, srcs, sim.Options{AgentsPerSource: 8, Speed: speed})
	bySrc := map[string]sim.Source{}
	for _, s := range g.Sources() {
		bySrc[s.Name] = s
	}
	type timed struct {
		src sim.Source
		d   sim.Delivery
		at  time.Time
	}
	var all []timed
	for i := range stories {
		st := g.Next(t0.Add(time.Duration(i) * step))
		for _, d := range sim.Render(bySrc[st.Source], st) {
			all = append(all, timed{bySrc[st.Source], d, st.Start.Add(d.At)})
		}
	}
	slices.SortStableFunc(all, func(a, b timed) int { return a.at.Compare(b.at) })
	var evs []call.Event
	for _, d := range all {
		u, err := url.Parse(d.d.Target)
		if err != nil {
			t.Fatal(err)
		}
		_, event, _ := strings.Cut(strings.TrimPrefix(u.Path, "/hooks/"+d.src.Name), "/")
		res, err := ingest.Decode(ingest.Source{Name: d.src.Name, Vendor: d.src.Vendor, Location: d.src.Location, KeyMap: d.src.KeyMap},
			ingest.Request{Method: d.d.Method, Event: event, Query: u.Query(), ContentType: d.d.Header.Get("Content-Type"), Body: d.d.Body, ReceivedAt: d.at})
		if err != nil {
			t.Fatalf("%s %s: %v", d.d.Method, d.d.Target, err)
		}
		evs = append(evs, res.Events...)
	}
	return evs
}

// replayed is a board that applied a log, and the last record it handed over of
// every call it ended (what the CDR writer would have stored).
type replayed struct {
	b    *Board
	cdrs map[string]call.Call
}

// oneByOne applies evs one event at a time, as a live board does.
func oneByOne(cfg Config, evs []call.Event) replayed {
	r := replayed{New(cfg), map[string]call.Call{}}
	for _, e := range evs {
		for _, ch := range r.b.Apply(e) {
			if ch.Kind == KindCall && ch.Ended {
				c, _ := r.b.Call(ch.ID)
				r.cdrs[ch.ID] = c
			}
		}
	}
	return r
}

// inBatches applies evs in batches of random sizes up to max.
func inBatches(cfg Config, evs []call.Event, rnd *rand.Rand, max int) replayed {
	r := replayed{New(cfg), map[string]call.Call{}}
	for len(evs) > 0 {
		n := min(len(evs), 1+rnd.IntN(max))
		r.b.BeginBatch()
		for _, e := range evs[:n] {
			r.b.Apply(e)
		}
		chs, ended := r.b.EndBatch()
		for _, c := range ended {
			r.cdrs[c.ID] = c
		}
		for _, ch := range chs {
			if _, ok := r.cdrs[ch.ID]; ch.Kind == KindCall && ch.Ended && !ok {
				panic("an ended call's change without its record: " + ch.ID)
			}
		}
		evs = evs[n:]
	}
	return r
}

// sameReplay fails unless both boards show the same, snapshot the same and handed
// over the same records.
func sameReplay(t *testing.T, name string, want, got replayed, evs []call.Event) {
	t.Helper()
	if w, g := dump(t, want.b, evs), dump(t, got.b, evs); w != g {
		t.Fatalf("%s: the batched board differs.\ngot:\n%.3000s\nwant:\n%.3000s", name, g, w)
	}
	ws, err := want.b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	gs, err := got.b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if string(ws) != string(gs) {
		t.Fatalf("%s: the batched board's snapshot differs (%d bytes against %d)", name, len(gs), len(ws))
	}
	if len(want.cdrs) == 0 || !reflect.DeepEqual(want.cdrs, got.cdrs) {
		t.Fatalf("%s: %d records handed over in batches against %d one by one (or none)", name, len(got.cdrs), len(want.cdrs))
	}
	wr, wf, _ := want.b.Reloads()
	gr, gf, _ := got.b.Reloads()
	if wr != gr || wf != gf {
		t.Fatalf("%s: reloads %d/%d in batches against %d/%d", name, gr, gf, wr, wf)
	}
}

// A replay in batches (each call folded once per batch) ends as the board that
// applied the same log one event at a time: the same calls, agents, queues and
// callers to call back, the same snapshot (settled calls settled alike) and the same
// records handed over, whatever the batches' sizes and however long calls keep their
// events. Over the simulator's traffic of every vendor, interleaved, across days (so
// the day's retention sweep falls inside batches), and over the scenarios shuffled
// with retries (late events reloading settled calls, callback marks, voicemail).
func TestBatchedReplayEqualsOneByOne(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	t0 := time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)
	histories := map[string][]call.Event{
		// calls a few seconds long, a story every 2 s: calls overlap, few per batch
		"sim dense": simHistory(t, 1, 1500, 60, 2*time.Second, t0),
		// a story every 3 minutes over four days: the sweep drops calls in batches
		"sim days": simHistory(t, 2, 2000, 600, 3*time.Minute, t0),
	}
	var reloads int
	for name, evs := range histories {
		l := logged(evs)
		for _, settle := range []time.Duration{time.Nanosecond, time.Minute, 0} {
			cfg := testConfig()
			for _, s := range []string{"pbx", "ipex", "cloud", "sipsim"} {
				cfg.Locations[s] = time.UTC
			}
			cfg.CallEvents, cfg.SettleAfter = l.callEvents, settle
			want := oneByOne(cfg, l.evs)
			for _, max := range []int{1, 7, 300, 5000} {
				sameReplay(t, name, want, inBatches(cfg, l.evs, rnd, max), l.evs)
			}
			n, _, _ := want.b.Reloads()
			reloads += n
		}
	}
	for _, s := range allScenarios() {
		for n := range 20 {
			l := logged(shuffled(rnd, s.events))
			cfg := compactConfig(l)
			if n%2 == 1 {
				cfg.SettleAfter = 0 // the default: nothing settles within the scenario
			}
			want := oneByOne(cfg, l.evs)
			if len(want.cdrs) == 0 {
				continue
			}
			sameReplay(t, s.name, want, inBatches(cfg, l.evs, rnd, 1+rnd.IntN(len(l.evs))), l.evs)
			r, _, _ := want.b.Reloads()
			reloads += r
		}
	}
	if reloads == 0 {
		t.Error("no late event reloaded a settled call: the test does not exercise reloads within a batch")
	}
}
