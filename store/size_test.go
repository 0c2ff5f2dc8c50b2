package store_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/ingest"
	"ringside/server/live"
	"ringside/server/sim"
	"ringside/store"
)

// simSources are the four vendors, each in its mixed variant, as the benchmark uses them.
func simSources() []sim.Source {
	loc := func(n string) *time.Location { l, _ := time.LoadLocation(n); return l }
	return []sim.Source{
		{Name: "pbx", Vendor: "simotel", Username: "hook", Password: "pw", Location: loc("Asia/Tehran"), Variant: sim.VariantMix},
		{Name: "ipex", Vendor: "voipex", Username: "hook", Password: "pw", Location: loc("Europe/Prague"), Variant: sim.VariantMix},
		{Name: "cloud", Vendor: "cloudcdr", Token: "tok", Variant: sim.VariantMix},
		{Name: "sipsim", Vendor: "sipsim", SigningSecret: "secret", Location: loc("Europe/Minsk"), Variant: sim.VariantMix},
	}
}

// decodeSim turns a simulator delivery into what the server's intake stores.
func decodeSim(t testing.TB, src sim.Source, d sim.Delivery, at time.Time) (store.Delivery, []call.Event) {
	u, err := url.Parse(d.Target)
	if err != nil {
		t.Fatal(err)
	}
	_, event, _ := strings.Cut(strings.TrimPrefix(u.Path, "/hooks/"+src.Name), "/")
	typ := d.Header.Get("Content-Type")
	res, err := ingest.Decode(ingest.Source{Name: src.Name, Vendor: src.Vendor, Location: src.Location, KeyMap: src.KeyMap},
		ingest.Request{Method: d.Method, Event: event, Query: u.Query(), ContentType: typ, Body: d.Body, ReceivedAt: at})
	if err != nil {
		t.Fatalf("%s %s: %v", d.Method, d.Target, err)
	}
	return store.Delivery{Source: src.Name, Method: d.Method, Path: u.Path, Query: u.RawQuery, ContentType: typ,
		Header: map[string]string{"User-Agent": d.Header.Get("User-Agent"), "Remote-Addr": "127.0.0.1"},
		Body:   d.Body, ReceivedAt: at, Key: res.Key, Stream: res.Stream}, res.Events
}

// fillSim logs at least n events of the simulator's mixed traffic into s as the server
// would: deliveries in the order they are sent, from many concurrent requests (so
// group commits are large). Then it folds them through the live board and stores the
// calls it ends as CDRs, like the server's CDR writer.
func fillSim(t testing.TB, s *store.Store, n int) {
	g := sim.NewGenerator(5, simSources(), sim.Options{AgentsPerSource: 12, Speed: 600})
	bySrc := map[string]sim.Source{}
	for _, src := range g.Sources() {
		bySrc[src.Name] = src
	}
	type sent struct {
		src sim.Source
		d   sim.Delivery
		at  time.Time
	}
	queue := make(chan sent, 256)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range queue {
				sd, evs := decodeSim(t, q.src, q.d, q.at)
				if _, err := s.Append(context.Background(), sd, evs); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	// A story's deliveries are sent at its start or later: those before the next
	// story's start are due.
	var pending []sent
	step := g.Interval()
	at := time.Now().Add(-time.Duration(n/7+1) * step)
	var starts []time.Time
	for ; int(s.LastSeq()) < n && !t.Failed(); at = at.Add(step) {
		st := g.Next(at)
		for _, d := range sim.Render(bySrc[st.Source], st) {
			pending = append(pending, sent{bySrc[st.Source], d, st.Start.Add(d.At)})
		}
		// the sweeper's turn: deliveries of all but the last few hundred stories to the archive
		if starts = append(starts, st.Start); len(starts)%300 == 0 && len(starts) > 300 {
			if _, err := s.ArchiveDeliveries(starts[len(starts)-300]); err != nil {
				t.Fatal(err)
			}
		}
		sort.Slice(pending, func(i, j int) bool { return pending[i].at.Before(pending[j].at) })
		i := 0
		for ; i < len(pending) && pending[i].at.Before(st.Start); i++ {
			queue <- pending[i]
		}
		pending = pending[i:]
	}
	for _, q := range pending {
		queue <- q
	}
	close(queue)
	wg.Wait()
	foldCDRs(t, s)
}

// foldCDRs replays the log through a live board and stores every call it ends.
func foldCDRs(t testing.TB, s *store.Store) {
	b := live.New(live.Config{})
	for after := uint64(0); ; {
		evs, err := s.Events(after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return
		}
		var ended []call.Call
		for _, e := range evs {
			for _, ch := range b.Apply(e) {
				if ch.Kind == live.KindCall && ch.Ended {
					if c, ok := b.Call(ch.ID); ok {
						ended = append(ended, c)
					}
				}
			}
			after = e.Seq
		}
		if len(ended) > 0 {
			if err := s.PutCDRs(context.Background(), ended); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestBytesPerEvent measures what the file holds per logged event over the simulator's
// mixed traffic (raw bodies, events, indexes, dedupe keys and the CDRs they end).
// RINGSIDE_SIZE_EVENTS sets the log's length.
func TestBytesPerEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a log")
	}
	n := 20000
	if v := os.Getenv("RINGSIDE_SIZE_EVENTS"); v != "" {
		n = atoiOr(v, n)
	}
	path := filepath.Join(t.TempDir(), "ringside.db")
	s, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	fillSim(t, s, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := store.Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	per := r.BytesPerEvent()
	t.Logf("%d events, file %d bytes, data %d bytes (%d free pages of %d bytes): %.0f bytes per event, %.0f in pages in use",
		r.Events, r.FileBytes, r.DataBytes, r.FreePages, r.PageSize, per, r.InUseBytesPerEvent())
	// The archive moved most raw bodies out of their pages: those pages are free, and
	// a read-only inspection must see them (it once reported 0 free pages always).
	if r.FreePages == 0 || r.InUseBytesPerEvent() >= per {
		t.Errorf("%d free pages after the archive moved the raw bodies: the inspection does not see them", r.FreePages)
	}
	for _, b := range r.Buckets {
		t.Logf("  %-20s %8d keys %10d bytes (%10d in pages) %6.1f per event", b.Name, b.Keys, b.Bytes, b.Alloc, float64(b.Alloc)/float64(r.Events))
	}
	// Measured over 20k events: 2164 bytes before the binary forms and page fills,
	// 1526 after them, 1201 with the deliveries archived under the site's dictionary
	// (a sixth of them still waiting for the archive). The target, 1024 per
	// event on the full server, is not reached by the store alone; this bound keeps
	// what was won.
	if per > 1300 {
		t.Errorf("%.0f bytes per event, more than the 1300 this log took", per)
	}
}

func atoiOr(s string, def int) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return def
		}
		n = n*10 + int(c-'0')
	}
	return n
}
