package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/server/ingest"
	"ringside/server/ingest/ingesttest"
	"ringside/server/sim"
	"ringside/store"
)

// dedupeFact is one delivery as the hook handler hands it to the store.
type dedupeFact struct {
	name string
	d    store.Delivery
	res  ingest.Result
}

// TestDedupeKeepsFactsAndDropsRetries: for every fixture and every simulated story
// (ring rounds and overflows included), each distinct delivery is logged, and a retry of
// any of them, interleaved with the others at random, is recognized as the delivery it
// repeats. The only retries logged again are the ones no receiver can tell from the
// fact happening again (ingest/streams.go): an agent's plain state retried after that
// agent's state changed, and a ring retried after that ring ended unanswered (a second
// ring round looks the same) while its call is still on.
func TestDedupeKeepsFactsAndDropsRetries(t *testing.T) {
	for src, facts := range dedupeFacts(t) {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/seed%d", src, seed), func(t *testing.T) {
				playDedupe(t, facts, seed)
			})
		}
	}
}

func playDedupe(t *testing.T, facts []dedupeFact, seed uint64) {
	st, err := store.Open(filepath.Join(t.TempDir(), "ringside.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(seed, 7))
	at := storyT0
	send := func(f dedupeFact) store.Appended {
		t.Helper()
		at = at.Add(100 * time.Millisecond)
		d := f.d
		d.ReceivedAt = at
		a, err := st.Append(context.Background(), d, f.res.Events)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		return a
	}
	// What was logged: for each identity (vendor key, else the bytes) its latest delivery
	// and the streams marked since.
	type entry struct {
		id     uint64
		marked map[string]bool
	}
	latest := map[string]*entry{}
	logged := func(f dedupeFact, id uint64) {
		for _, e := range latest {
			for _, m := range marks(f.res) {
				e.marked[m] = true
			}
		}
		latest[identity(f)] = &entry{id: id, marked: map[string]bool{}}
	}
	for i, f := range facts {
		a := send(f)
		if a.Duplicate {
			t.Fatalf("fact %d (%s) was taken for a retry of delivery %d", i, f.name, a.Delivery)
		}
		logged(f, a.Delivery)
		if rng.IntN(2) == 0 {
			continue
		}
		j := rng.IntN(i + 1)
		orig := latest[identity(facts[j])]
		r := send(facts[j])
		if want := retryExpected(facts[j].res, orig.marked); r.Duplicate != want || (want && r.Delivery != orig.id) {
			t.Errorf("retry of fact %d (%s) after fact %d (%s): %+v, want duplicate=%v of delivery %d",
				j, facts[j].name, i, f.name, r, want, orig.id)
		}
		if !r.Duplicate {
			logged(facts[j], r.Delivery)
		}
	}
}

// retryExpected is the documented rule (store.Delivery, ingest/streams.go): a vendor key
// always repeats; a sealed delivery repeats once a seal was marked; a delivery on a
// stream is new once the stream was marked; the rest repeat within the window.
func retryExpected(res ingest.Result, marked map[string]bool) bool {
	if res.Key != "" {
		return true
	}
	for _, s := range res.Seals {
		if marked[s] {
			return true
		}
	}
	return res.Stream == "" || !marked[res.Stream]
}

func identity(f dedupeFact) string {
	if f.res.Key != "" {
		return f.d.Source + "\x00" + f.res.Key
	}
	return f.d.Source + "\x00" + f.d.Method + f.d.Path + "?" + f.d.Query + "\x00" + string(f.d.Body)
}

func marks(res ingest.Result) []string {
	if res.Marks != nil {
		return res.Marks
	}
	if res.Stream != "" {
		return []string{res.Stream}
	}
	return nil
}

// dedupeFacts are, per source, the decodable fixtures and the simulator's stories for
// that source's vendor, each distinct fact once: fixtures repeating another's vendor
// key or bytes are the same fact and left out.
func dedupeFacts(t *testing.T) map[string][]dedupeFact {
	out := map[string][]dedupeFact{}
	srcs := ingesttest.Sources()
	seen := map[string]bool{}
	add := func(name string, raw ingesttest.Raw) {
		src := srcs[raw.Source()]
		req := raw.Request()
		req.ReceivedAt = storyT0
		res, err := ingest.Decode(src, req)
		if err != nil || len(res.Events) == 0 {
			return
		}
		query := ""
		if i := strings.IndexByte(raw.Target, '?'); i >= 0 {
			query = raw.Target[i+1:]
		}
		d := store.Delivery{Source: src.Name, Method: raw.Method, Path: strings.SplitN(raw.Target, "?", 2)[0], Query: query,
			ContentType: raw.Header.Get("Content-Type"), Body: raw.Body,
			Key: res.Key, Stream: res.Stream, Marks: res.Marks, Seals: res.Seals}
		id := identity(dedupeFact{d: d, res: res})
		if seen[id] && !strings.HasPrefix(name, "sim:") {
			return // a fixture saying what another says
		}
		seen[id] = true
		out[src.Name] = append(out[src.Name], dedupeFact{name: name, d: d, res: res})
	}
	files, _ := filepath.Glob("ingest/testdata/*/*.http")
	slices.Sort(files)
	for _, path := range files {
		raw, err := ingesttest.ReadRaw(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := srcs[raw.Source()]; ok {
			add(filepath.Base(path), raw)
		}
	}
	cfg := scenarioConfig(t)
	for _, vendor := range sim.Vendors() {
		src := simSource(t, cfg, vendorStyles[vendor].source, "")
		if fs, ok := srcs[src.Name]; ok && fs.Location != nil {
			src.Location = fs.Location
		}
		for k, td := range renderAll(src, dedupeStories(vendor)...) {
			raw, err := ingesttest.ParseRaw([]byte(td.d.String()))
			if err != nil {
				t.Fatal(err)
			}
			add(fmt.Sprintf("sim:%s#%d", vendor, k), raw)
		}
	}
	return out
}

// dedupeStories are the property stories plus the ones whose deliveries repeat bytes
// on purpose: ring rounds and overflows.
func dedupeStories(vendor string) []sim.Story {
	return append(propertyStories(vendor), extraStories(vendor, storyT0.Add(3*time.Minute))...)
}
