package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

var (
	sources = []string{"pbx1", "ipex", "cloud", "sipsim"}
	dirs    = []call.Direction{call.Inbound, call.Outbound, call.Internal}
	disps   = []call.Disposition{call.Answered, call.Answered, call.Missed, call.Busy, call.Failed}
	dids    = []string{"02191305588", "+420222333444", "+375172000000"}
)

// genCDRs makes n varied ended calls, deterministically, about 25 s apart.
func genCDRs(n int, seed uint64) []call.Call {
	r := rand.New(rand.NewPCG(seed, 1))
	calls := make([]call.Call, n)
	for i := range calls {
		src := sources[r.IntN(len(sources))]
		start := t0.Add(time.Duration(i)*25*time.Second + time.Duration(r.IntN(20))*time.Second)
		c := call.Call{
			ID:          fmt.Sprintf("%s:%d.%d", src, start.Unix(), i),
			Source:      src,
			Vendor:      "v",
			Direction:   dirs[r.IntN(len(dirs))],
			From:        fmt.Sprintf("0912%07d", r.IntN(20000)),
			To:          dids[r.IntN(len(dids))],
			State:       call.StateEnded,
			Disposition: disps[r.IntN(len(disps))],
			StartedAt:   call.T(start),
			Tags:        map[string]string{"n": fmt.Sprint(i)},
		}
		c.DID = c.To
		if r.IntN(10) > 0 {
			c.Queue = fmt.Sprintf("%s:q%d", src, r.IntN(10))
		}
		if r.IntN(8) > 0 { // some calls only have a start
			c.EndedAt = call.T(start.Add(time.Duration(r.IntN(600)) * time.Second))
		}
		for range r.IntN(3) {
			c.Legs = append(c.Legs, call.Leg{Agent: fmt.Sprintf("agent%d", r.IntN(50)), Outcome: call.OutcomeNoAnswer})
		}
		if c.Disposition == call.Answered {
			c.Agent = fmt.Sprintf("agent%d", r.IntN(50))
			c.TalkS = call.F(float64(r.IntN(300)))
			c.Recordings = []call.Recording{{URL: "/recordings/" + c.ID + "/0", Ref: "rec-" + c.ID + ".mp3"}}
		}
		calls[i] = c
	}
	return calls
}

// model answers a query by brute force, the way Query documents it.
func model(calls []call.Call, q Query) (ids []string, total int) {
	var hits []call.Call
	for _, c := range calls {
		tm := cdrTime(&c)
		if q.Number != "" && !slices.ContainsFunc([]string{c.From, c.To, c.DID}, func(n string) bool {
			return n != "" && matchesNumber(q.Number, n, q.WholeNumber)
		}) ||
			q.Agent != "" && c.Agent != q.Agent && !slices.ContainsFunc(c.Legs, func(l call.Leg) bool { return l.Agent == q.Agent }) ||
			q.Queue != "" && c.Queue != q.Queue || q.Source != "" && c.Source != q.Source ||
			q.Direction != "" && string(c.Direction) != q.Direction || q.Disposition != "" && string(c.Disposition) != q.Disposition ||
			!q.From.IsZero() && tm.Before(q.From) || !q.To.IsZero() && !tm.Before(q.To) {
			continue
		}
		hits = append(hits, c)
	}
	slices.SortFunc(hits, func(a, b call.Call) int {
		if c := cdrTime(&a).Compare(cdrTime(&b)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if !q.Asc {
		slices.Reverse(hits)
	}
	count := q.Count
	if count == 0 {
		count = DefaultCount
	}
	for i := q.Start; i < len(hits) && i < q.Start+count; i++ {
		ids = append(ids, hits[i].ID)
	}
	return ids, len(hits)
}

func putCDRs(t testing.TB, s *Store, calls []call.Call) {
	t.Helper()
	for i := 0; i < len(calls); i += 1000 {
		if err := s.PutCDRs(context.Background(), calls[i:min(i+1000, len(calls))]); err != nil {
			t.Fatal(err)
		}
	}
}

func testQueries(calls []call.Call) map[string]Query {
	c := calls[len(calls)/2]
	day := t0.Add(6 * time.Hour)
	return map[string]Query{
		"all":                {},
		"all asc page 2":     {Asc: true, Start: 50, Count: 25},
		"past the end":       {Start: len(calls) + 5},
		"source":             {Source: "ipex", Count: 30},
		"direction":          {Direction: string(call.Outbound), Start: 100, Asc: true},
		"disposition":        {Disposition: string(call.Busy)},
		"queue":              {Queue: "pbx1:q3", Count: 1000},
		"agent (legs too)":   {Agent: "agent7", Count: 1000},
		"number from":        {Number: c.From},
		"number did":         {Number: dids[1], Count: 7, Start: 14},
		"number suffix":      {Number: c.From[4:], Count: 1000},
		"number short":       {Number: "0912", Count: 1000}, // a prefix every caller has
		"number unknown":     {Number: "nope"},
		"time range":         {From: day, To: day.Add(3 * time.Hour), Count: 1000},
		"time range asc":     {From: day, To: day.Add(time.Hour), Asc: true, Start: 3},
		"open-ended from":    {From: day},
		"open-ended to":      {To: day, Asc: true},
		"agent+source":       {Agent: "agent3", Source: "cloud", Count: 1000},
		"source+direction":   {Source: "pbx1", Direction: string(call.Inbound), Disposition: string(call.Answered), Start: 10},
		"queue+disp+time":    {Queue: "ipex:q1", Disposition: string(call.Missed), From: day, Count: 1000},
		"number+source":      {Number: dids[0], Source: "sipsim", Count: 1000},
		"suffix+agent":       {Number: dids[2][3:], Agent: "agent1", Count: 1000},
		"everything":         {Number: c.From, Agent: c.Agent, Queue: c.Queue, Source: c.Source, Direction: string(c.Direction), Disposition: string(c.Disposition), From: cdrTime(&c), To: cdrTime(&c).Add(time.Second)},
		"all filters, wrong": {Number: c.From, Source: "nope"},
	}
}

func checkQueries(t *testing.T, s *Store, calls []call.Call) {
	t.Helper()
	for name, q := range testQueries(calls) {
		got, total, err := s.SearchCDRs(q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantIDs, wantTotal := model(calls, q)
		var gotIDs []string
		for _, c := range got {
			gotIDs = append(gotIDs, c.ID)
		}
		if total != wantTotal || !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("%s: total %d, want %d\n got %d %.200v\nwant %d %.200v", name, total, wantTotal, len(gotIDs), gotIDs, len(wantIDs), wantIDs)
		}
	}
}

func TestSearchCDRs(t *testing.T) {
	s, _ := tempStore(t)
	calls := genCDRs(3000, 1)
	putCDRs(t, s, calls)
	checkQueries(t, s, calls)

	// The queries above must have exercised what they claim to.
	for name, min := range map[string]int{"source": 500, "agent (legs too)": 40, "number suffix": 1, "number did": 500, "time range": 100, "agent+source": 5, "source+direction": 50} {
		if _, total := model(calls, testQueries(calls)[name]); total < min {
			t.Errorf("%s matches only %d CDRs", name, total)
		}
	}
	// Both ways of answering a multi-filter query were taken.
	s.db.View(func(tx *bolt.Tx) error {
		qs := testQueries(calls)
		if p := newPlan(tx, qs["agent+source"]); p.driver != fAgent || !p.check {
			t.Errorf("agent+source drives by %d, want the agent index", p.driver)
		}
		if p := newPlan(tx, qs["source+direction"]); p.driver != -1 || !p.check {
			t.Errorf("source+direction drives by %d, want a time scan", p.driver)
		}
		return nil
	})
	// A page carries full CDRs, recordings with their vendor refs.
	got, _, _ := s.SearchCDRs(Query{Disposition: string(call.Answered), Count: 1})
	want := calls[slices.IndexFunc(calls, func(c call.Call) bool { return c.ID == got[0].ID })]
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("stored CDR differs:\n got %+v\nwant %+v", got[0], want)
	}
}

func TestCDRUpsertAndGet(t *testing.T) {
	s, path := tempStore(t)
	calls := genCDRs(200, 2)
	putCDRs(t, s, calls)
	c := calls[10]
	if got, ok, err := s.CDR(c.ID); err != nil || !ok || !reflect.DeepEqual(got, c) {
		t.Fatalf("CDR = %+v %v %v", got, ok, err)
	}
	if _, ok, err := s.CDR("pbx1:none"); ok || err != nil {
		t.Fatalf("missing CDR: %v %v", ok, err)
	}
	// A richer version replaces the first: new agent, number, time, and a timeline.
	rich := c
	rich.Agent, rich.From, rich.Queue, rich.Disposition = "petr", "0999999999", "pbx1:vip", call.Answered
	rich.EndedAt = call.T(t0.Add(1000 * time.Hour))
	rich.Legs = []call.Leg{{Agent: "petr", Outcome: call.OutcomeAnswer}}
	rich.Events = []call.Event{event("IncomingCall", "1", t0)}
	if err := s.PutCDRs(context.Background(), []call.Call{rich}); err != nil {
		t.Fatal(err)
	}
	calls[10] = rich
	got, ok, _ := s.CDR(c.ID)
	if !ok || got.Agent != "petr" || len(got.Events) != 1 || got.Events[0].Name != "IncomingCall" {
		t.Fatalf("after upsert: %+v", got)
	}
	rich.Events = nil
	checkQueries(t, s, calls)
	if page, _, _ := s.SearchCDRs(Query{Agent: "petr"}); len(page) != 1 || page[0].Events != nil {
		t.Fatalf("search returned %+v; want the call without its timeline", page)
	}
	// Survives a restart, count included.
	s.Close()
	s = open(t, path, Options{NoSync: true})
	if _, total, _ := s.SearchCDRs(Query{}); total != 200 {
		t.Fatalf("total after reopen = %d", total)
	}
	checkQueries(t, s, calls)

	// A file from before the value counts were kept gets them on opening.
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bCDRValueCounts) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path, Options{NoSync: true})
	checkQueries(t, s, calls)

	if err := s.PutCDRs(context.Background(), []call.Call{{Source: "x"}}); err == nil {
		t.Fatal("a CDR without id was accepted")
	}
}

func TestPruneCDRs(t *testing.T) {
	s, _ := tempStore(t)
	calls := genCDRs(5000, 3) // ~35 hours
	putCDRs(t, s, calls)
	cut := t0.Add(20 * time.Hour)
	var keep []call.Call
	for _, c := range calls {
		if !cdrTime(&c).Before(cut) {
			keep = append(keep, c)
		}
	}
	n, err := s.PruneCDRs(cut)
	if err != nil || n != len(calls)-len(keep) || n < 2000 { // more than one chunk
		t.Fatalf("pruned %d (%v), want %d", n, err, len(calls)-len(keep))
	}
	checkQueries(t, s, keep)
	// No index keeps a key of a pruned call.
	var want [nFields]int
	for _, c := range keep {
		for f, vs := range cdrValues(&c) {
			want[f] += len(vs)
		}
	}
	for f, b := range fieldBuckets {
		if got := bucketLen(t, s, b); got != want[f] {
			t.Errorf("%s has %d keys, want %d", b, got, want[f])
		}
	}
	if got := bucketLen(t, s, bCDRTime); got != len(keep) {
		t.Errorf("time index has %d keys, want %d", got, len(keep))
	}
	if n, _ := s.PruneCDRs(cut); n != 0 {
		t.Fatalf("second prune removed %d", n)
	}
}

func TestEachCDR(t *testing.T) {
	s, _ := tempStore(t)
	calls := genCDRs(1500, 4)
	putCDRs(t, s, calls)
	q := Query{Source: "pbx1", Asc: true}
	var got []string
	if err := s.EachCDR(q, func(c call.Call) error { got = append(got, c.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	q.Count = len(calls)
	want, total := model(calls, q)
	if !slices.Equal(got, want) || total < 300 {
		t.Fatalf("EachCDR gave %d ids, want %d", len(got), len(want))
	}
	// Paged, and stopped by fn's error.
	q = Query{Start: 5, Count: 300}
	want, _ = model(calls, q)
	got = nil
	stop := errors.New("stop")
	err := s.EachCDR(q, func(c call.Call) error {
		got = append(got, c.ID)
		if len(got) == 280 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !slices.Equal(got, want[:280]) {
		t.Fatalf("paged EachCDR: %v, %d ids", err, len(got))
	}
}

func TestSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.db")
	s := open(t, path, Options{NoSync: true})
	if seq, data, err := s.Snapshot(); seq != 0 || data != nil || err != nil {
		t.Fatalf("empty Snapshot = %d %q %v", seq, data, err)
	}
	if err := s.PutSnapshot(1, []byte("x")); err == nil {
		t.Fatal("a snapshot ahead of the log was accepted")
	}
	appendN(t, s, 1, 5, 1)
	big := []byte(strings.Repeat("board;", 200000))
	if err := s.PutSnapshot(3, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSnapshot(5, big); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path, Options{NoSync: true})
	if seq, data, err := s.Snapshot(); seq != 5 || string(data) != string(big) || err != nil {
		t.Fatalf("Snapshot = %d, %d bytes, %v", seq, len(data), err)
	}
}
