package ingest_test

// The decoders' fuzz targets (make test runs each briefly). Every fixture of the
// vendor is a seed; whatever the input, a decoder returns an ErrUndecodable error or
// well-formed events, never panics (they are called directly, not through Decode,
// which would recover), and what Decode accepts a real store keeps unchanged.

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"ringside/server/call"
	"ringside/server/ingest"
	"ringside/server/ingest/ingesttest"
	"ringside/store"
)

func FuzzSimotel(f *testing.F) { fuzzDecoder(f, "simotel", "pbx1") }

func FuzzVoipex(f *testing.F) { fuzzDecoder(f, "voipex", "ipexr") } // with a KeyMap, so renaming is fuzzed too

func FuzzCloudCDR(f *testing.F) { fuzzDecoder(f, "cloudcdr", "cloud") }

func FuzzSipSim(f *testing.F) { fuzzDecoder(f, "sipsim", "sipsim") }

// withEvent are the vendors whose fuzz input includes the {event} path segment. The
// others' corpora were made without it, so their inputs keep that shape.
var withEvent = map[string]bool{"simotel": true, "voipex": true}

// fuzzDecoder fuzzes one vendor's decoder as the fixture source named source.
func fuzzDecoder(f *testing.F, vendor, source string) {
	v, ok := ingest.Lookup(vendor)
	src, okSrc := ingesttest.Sources()[source]
	if !ok || !okSrc {
		f.Fatalf("vendor %s or fixture source %s not registered", vendor, source)
	}
	fuzzSeeds(f, vendor, withEvent[vendor])
	st := fuzzStore(f)
	check := func(t *testing.T, req ingest.Request) {
		res, err := v.Decode(src, req)
		checkDecoded(t, src, res, err)
		assertStorable(t, st, src, req)
		if vendor == "cloudcdr" && err == nil && (res.Key == "" || res.Events[0].Call != src.Name+":"+strings.TrimPrefix(res.Key, "cdr:")) {
			t.Fatalf("key %q does not name call %q", res.Key, res.Events[0].Call)
		}
	}
	if withEvent[vendor] {
		f.Fuzz(func(t *testing.T, method, event, query, contentType string, body []byte) {
			q, _ := url.ParseQuery(query)
			check(t, ingest.Request{Method: method, Event: event, Query: q, ContentType: contentType, Body: body, ReceivedAt: ingest.TestReceived})
		})
		return
	}
	f.Fuzz(func(t *testing.T, method, query, contentType string, body []byte) {
		q, _ := url.ParseQuery(query)
		check(t, ingest.Request{Method: method, Query: q, ContentType: contentType, Body: body, ReceivedAt: ingest.TestReceived})
	})
}

// fuzzSeeds adds every testdata/{vendor}/*.http as a fuzz seed.
func fuzzSeeds(f *testing.F, vendor string, withEvent bool) {
	files, _ := filepath.Glob(filepath.Join("testdata", vendor, "*.http"))
	if len(files) == 0 {
		f.Fatalf("no %s fixtures", vendor)
	}
	for _, p := range files {
		raw, err := ingesttest.ReadRaw(p)
		if err != nil {
			f.Fatal(err)
		}
		req := raw.Request()
		if withEvent {
			_, query, _ := strings.Cut(raw.Target, "?")
			f.Add(req.Method, req.Event, query, req.ContentType, req.Body)
		} else {
			f.Add(req.Method, req.Query.Encode(), req.ContentType, req.Body)
		}
	}
}

// checkDecoded is what every decoder owes any input: an ErrUndecodable error and no
// events, or events that all have a type and a name and ids under the source's name.
func checkDecoded(t *testing.T, src ingest.Source, res ingest.Result, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ingest.ErrUndecodable) || len(res.Events) != 0 {
			t.Fatalf("error %v with %d events (want an ErrUndecodable and none)", err, len(res.Events))
		}
		return
	}
	if len(res.Events) == 0 {
		t.Fatal("no error and no events")
	}
	p := src.Name + ":"
	for _, e := range res.Events {
		if e.Type == "" || e.Name == "" {
			t.Fatalf("event without type or name: %+v", e)
		}
		ids := append([]string{e.Call, e.Agent, e.Queue}, e.AgentAliases...)
		for _, l := range e.Legs {
			ids = append(ids, l.Agent)
		}
		for _, id := range ids {
			if id != "" && (!strings.HasPrefix(id, p) || id == p) {
				t.Fatalf("id %q is not %s<id>: %+v", id, p, e)
			}
		}
	}
}

// fuzzStore is a real store a fuzz target appends every accepted delivery to.
func fuzzStore(f *testing.F) *store.Store {
	st, err := store.Open(filepath.Join(f.TempDir(), "fuzz.db"), store.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	return st
}

// assertStorable is what Decode owes the store: whatever it accepts, a real store
// appends, and its events read back as they were written.
func assertStorable(t *testing.T, st *store.Store, src ingest.Source, req ingest.Request) {
	t.Helper()
	res, err := ingest.Decode(src, req)
	if err != nil {
		return
	}
	d := store.Delivery{Source: src.Name, Method: req.Method, Body: req.Body, ReceivedAt: req.ReceivedAt, Key: res.Key, Stream: res.Stream, Marks: res.Marks, Seals: res.Seals}
	app, err := st.Append(context.Background(), d, res.Events)
	if err != nil {
		t.Fatalf("Decode accepted a delivery the store refuses: %v\nevents: %+v", err, res.Events)
	}
	if app.Duplicate {
		return
	}
	back, err := st.Events(app.Seqs[0]-1, len(app.Seqs))
	if err != nil || len(back) != len(res.Events) {
		t.Fatalf("reading back %d events: %d, %v", len(res.Events), len(back), err)
	}
	for i, e := range back {
		e.Seq = 0
		// as JSON both ways: invalid UTF-8 is stored as U+FFFD, which is no loss here
		// (the raw body is kept, and live and replayed events read the same stored bytes)
		var sent call.Event
		j, _ := json.Marshal(res.Events[i])
		json.Unmarshal(j, &sent)
		want, _ := json.Marshal(sent)
		got, _ := json.Marshal(e)
		if string(got) != string(want) {
			t.Fatalf("event %d changed in the store:\n got %s\nwant %s", i, got, want)
		}
	}
}
