package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"ringside/server/call"
	"ringside/store"
)

// Values that once made a delivery unstorable (a permanent 503 the vendor retried
// forever) are refused as undecodable: the server answers 400 and keeps the body.
func TestUnstorableValuesAreUndecodable(t *testing.T) {
	end := func(extra map[string]any) map[string]any {
		f := map[string]any{"event": "incoming_call_end", "pbx_id": "1557491089.930439", "caller": "+375290000000",
			"receiver": "+375290000001", "status": "answer", "time": "2020-04-06T05:28:15.174Z", "duration": 102}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	for name, tc := range map[string]struct {
		fields map[string]any
		why    string
	}{
		"NaN duration":     {end(map[string]any{"duration": "NaN"}), "duration_s is NaN"},
		"Inf duration":     {end(map[string]any{"duration": "+Inf"}), "duration_s is +Inf"},
		"infinity":         {end(map[string]any{"duration": "-infinity"}), "duration_s is -Inf"},
		"year 9999 offset": {end(map[string]any{"time": "9999-12-31T23:59:59-10:00"}), "outside the years"},
		"year 1000":        {end(map[string]any{"time": "1000-01-01T00:00:00Z"}), "outside the years"},
		"long call id":     {end(map[string]any{"pbx_id": strings.Repeat("9", 100_000)}), "call id is longer"},
	} {
		_, err := sipsimDecode(t, tc.fields)
		if !errors.Is(err, ErrUndecodable) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: err %v, want undecodable saying %q", name, err, tc.why)
		}
	}
	if _, err := sipsimDecode(t, end(nil)); err != nil {
		t.Fatalf("the plain delivery: %v", err)
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
func assertStorable(t *testing.T, st *store.Store, src Source, req Request) {
	t.Helper()
	res, err := Decode(src, req)
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
