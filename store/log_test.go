package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

var t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

func open(t testing.TB, path string, opt Options) *Store {
	t.Helper()
	s, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempStore(t testing.TB) (*Store, string) {
	path := filepath.Join(t.TempDir(), "sub", "ringside.db")
	return open(t, path, Options{NoSync: true}), path
}

func delivery(body string, at time.Time) Delivery {
	return Delivery{Source: "pbx1", Method: "POST", Path: "/hooks/pbx1", Query: "v=4",
		ContentType: "application/json", Body: []byte(body), ReceivedAt: at}
}

func event(name, callID string, at time.Time) call.Event {
	return call.Event{Source: "pbx1", Vendor: "simotel", Name: name, Type: call.CallOffered,
		Call: "pbx1:" + callID, From: "0912", At: at, ReceivedAt: at, WaitS: call.F(3)}
}

func mustAppend(t testing.TB, s *Store, d Delivery, evs ...call.Event) Appended {
	t.Helper()
	a, err := s.Append(context.Background(), d, evs)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAppendReadBack(t *testing.T) {
	s, _ := tempStore(t)
	d := delivery(`{"event_name":"IncomingCall"}`, t0)
	d.Header = map[string]string{"User-Agent": "simotel"}
	evs := []call.Event{event("IncomingCall", "1.1", t0), event("NewState", "1.1", t0.Add(time.Second))}
	a := mustAppend(t, s, d, evs...)
	if a.Duplicate || a.Delivery != 1 || !reflect.DeepEqual(a.Seqs, []uint64{1, 2}) {
		t.Fatalf("Appended = %+v", a)
	}
	if s.LastSeq() != 2 {
		t.Fatalf("LastSeq = %d", s.LastSeq())
	}
	got, err := s.Events(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d events", len(got))
	}
	for i, e := range got {
		want := evs[i]
		want.Seq = uint64(i + 1)
		if !e.At.Equal(want.At) || *e.WaitS != 3 {
			t.Fatalf("event %d = %+v", i, e)
		}
		e.At, e.ReceivedAt, want.At, want.ReceivedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(e, want) {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, e, want)
		}
	}
	if got, _ := s.Events(1, 10); len(got) != 1 || got[0].Seq != 2 {
		t.Fatalf("Events(1) = %+v", got)
	}
	if got, _ := s.Events(0, 1); len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("Events(0, 1) = %+v", got)
	}
	ds, err := s.Deliveries(0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Deliveries = %+v, %v", ds, err)
	}
	sd := ds[0]
	if sd.ID != 1 || string(sd.Body) != string(d.Body) || sd.Query != "v=4" || sd.Path != d.Path ||
		sd.Header["User-Agent"] != "simotel" || !sd.ReceivedAt.Equal(t0) || !reflect.DeepEqual(sd.Seqs, []uint64{1, 2}) {
		t.Fatalf("delivery = %+v", sd)
	}
	// A delivery without events is kept too.
	a = mustAppend(t, s, delivery("ping", t0))
	if a.Delivery != 2 || a.Seqs != nil || s.LastSeq() != 2 {
		t.Fatalf("eventless Appended = %+v, last %d", a, s.LastSeq())
	}
}

func TestSeqContinuesAfterReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := delivery("cdr", t0)
	d.Key = "cdr:1"
	mustAppend(t, s, d, event("Cdr", "1", t0), event("Cdr", "1", t0))
	mustAppend(t, s, delivery("b", t0), event("x", "2", t0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, Options{})
	if s.LastSeq() != 3 {
		t.Fatalf("LastSeq after reopen = %d", s.LastSeq())
	}
	a := mustAppend(t, s, delivery("c", t0), event("x", "3", t0))
	if a.Delivery != 3 || !reflect.DeepEqual(a.Seqs, []uint64{4}) {
		t.Fatalf("after reopen: %+v", a)
	}
	// Dedupe state survives the restart.
	if a := mustAppend(t, s, d, event("Cdr", "1", t0)); !a.Duplicate || a.Delivery != 1 {
		t.Fatalf("retry after reopen: %+v", a)
	}
	if b := mustAppend(t, s, delivery("b", t0.Add(time.Minute))); !b.Duplicate || b.Delivery != 2 {
		t.Fatalf("hash retry after reopen: %+v", b)
	}
}

func TestDedupeByKey(t *testing.T) {
	s, _ := tempStore(t)
	d := delivery(`{"a":1}`, t0)
	d.Key = "cdr:1610778618.378"
	first := mustAppend(t, s, d, event("Cdr", "1", t0), event("Cdr", "1", t0))

	retry := delivery(`{"a":1,"retry":true}`, t0.Add(6*24*time.Hour)) // the body may differ; the key decides
	retry.Key = d.Key
	a := mustAppend(t, s, retry, event("Cdr", "1", t0))
	if !a.Duplicate || a.Delivery != first.Delivery || !reflect.DeepEqual(a.Seqs, first.Seqs) {
		t.Fatalf("retry = %+v, first %+v", a, first)
	}
	if s.LastSeq() != 2 {
		t.Fatalf("a duplicate wrote events: LastSeq %d", s.LastSeq())
	}
	other := d
	other.Source = "pbx2"
	if a := mustAppend(t, s, other, event("Cdr", "1", t0)); a.Duplicate {
		t.Fatal("same key from another source was deduplicated")
	}
	late := d
	late.ReceivedAt = t0.Add(8 * 24 * time.Hour)
	if a := mustAppend(t, s, late, event("Cdr", "1", t0)); a.Duplicate {
		t.Fatal("key older than 7 days still deduplicated")
	}
	ds, _ := s.Deliveries(0, 10)
	if len(ds) != 3 || ds[0].Key != d.Key {
		t.Fatalf("deliveries = %+v", ds)
	}
}

func TestDedupeByHash(t *testing.T) {
	s, _ := tempStore(t) // default window 15m
	first := mustAppend(t, s, delivery(`{"x":1}`, t0), event("a", "1", t0))
	a := mustAppend(t, s, delivery(`{"x":1}`, t0.Add(14*time.Minute)), event("a", "1", t0))
	if !a.Duplicate || a.Delivery != first.Delivery || !reflect.DeepEqual(a.Seqs, first.Seqs) {
		t.Fatalf("retry within window = %+v", a)
	}
	// A racing retry stamped a moment before the original counts too.
	if a := mustAppend(t, s, delivery(`{"x":1}`, t0.Add(-time.Second)), event("a", "1", t0)); !a.Duplicate {
		t.Fatal("retry stamped earlier than the original not deduplicated")
	}
	for name, d := range map[string]Delivery{
		"body":   delivery(`{"x":2}`, t0),
		"query":  func() Delivery { d := delivery(`{"x":1}`, t0); d.Query = "v=5"; return d }(),
		"path":   func() Delivery { d := delivery(`{"x":1}`, t0); d.Path += "/cdr"; return d }(),
		"method": func() Delivery { d := delivery(`{"x":1}`, t0); d.Method = "PUT"; return d }(),
		"source": func() Delivery { d := delivery(`{"x":1}`, t0); d.Source = "pbx2"; return d }(),
	} {
		if a := mustAppend(t, s, d, event("a", "1", t0)); a.Duplicate {
			t.Errorf("different %s deduplicated", name)
		}
	}
	if a := mustAppend(t, s, delivery(`{"x":1}`, t0.Add(16*time.Minute)), event("a", "1", t0)); a.Duplicate {
		t.Fatal("identical delivery outside the window deduplicated")
	}
	// ... and it starts a new window.
	if a := mustAppend(t, s, delivery(`{"x":1}`, t0.Add(20*time.Minute)), event("a", "1", t0)); !a.Duplicate {
		t.Fatal("retry of the re-accepted delivery not deduplicated")
	}
}

func TestDedupeStream(t *testing.T) {
	s, _ := tempStore(t)
	state := func(st string, at time.Time) Delivery {
		d := delivery("event_name=NewState&exten=991&state="+st, at)
		d.Stream = "exten:991"
		return d
	}
	ev := event("NewState", "", t0)
	idle1 := mustAppend(t, s, state("Idle", t0), ev)
	pause := mustAppend(t, s, state("Pause", t0.Add(time.Minute)), ev)
	idle2 := mustAppend(t, s, state("Idle", t0.Add(2*time.Minute)), ev)
	if idle1.Duplicate || pause.Duplicate || idle2.Duplicate || s.LastSeq() != 3 {
		t.Fatalf("Idle, Pause, Idle: %+v %+v %+v", idle1, pause, idle2)
	}
	retry := mustAppend(t, s, state("Idle", t0.Add(2*time.Minute+time.Second)), ev)
	if !retry.Duplicate || retry.Delivery != idle2.Delivery {
		t.Fatalf("Idle retry = %+v, want duplicate of %d", retry, idle2.Delivery)
	}
	// Another extension's state does not change 991's latest.
	other := delivery("event_name=NewState&exten=992&state=Pause", t0.Add(3*time.Minute))
	other.Stream = "exten:992"
	mustAppend(t, s, other, ev)
	if a := mustAppend(t, s, state("Idle", t0.Add(3*time.Minute)), ev); !a.Duplicate {
		t.Fatal("Idle retry after another stream's change not deduplicated")
	}
	if s.LastSeq() != 4 {
		t.Fatalf("LastSeq = %d, want 4", s.LastSeq())
	}
}

// Identical deliveries racing into the same group commit: exactly one is written.
func TestDedupeWithinBatch(t *testing.T) {
	s, _ := tempStore(t)
	tx, _ := s.db.Begin(true) // hold the writer so the requests queue into one batch
	defer tx.Rollback()       // also on failure, so the writer and Close never hang
	var wg sync.WaitGroup
	res := make([]Appended, 40)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := delivery("same", t0)
			if i%2 == 0 {
				d.Key = "k1"
			}
			var err error
			if res[i], err = s.Append(context.Background(), d, []call.Event{event("a", "1", t0)}); err != nil {
				t.Error(err)
			}
		}()
	}
	// all of them sent: in the batch the writer holds blocked on our tx (however many it
	// had taken when it woke) or queued for the next
	waitFor(t, func() bool { return s.Waiting() == len(res) })
	tx.Rollback()
	wg.Wait()
	fresh := map[bool]int{}
	ids := map[bool]uint64{}
	for i, a := range res {
		keyed := i%2 == 0
		if !a.Duplicate {
			fresh[keyed]++
		}
		if ids[keyed] == 0 {
			ids[keyed] = a.Delivery
		} else if ids[keyed] != a.Delivery || len(a.Seqs) != 1 {
			t.Fatalf("delivery %d: %+v, others got %d", i, a, ids[keyed])
		}
	}
	if fresh[true] != 1 || fresh[false] != 1 || s.LastSeq() != 2 {
		t.Fatalf("fresh appends = %v, LastSeq %d; want one per kind", fresh, s.LastSeq())
	}
}

func bucketLen(t *testing.T, s *Store, name []byte) int {
	t.Helper()
	n := 0
	s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(name).Stats().KeyN
		return nil
	})
	return n
}

func TestDedupeEntriesArePruned(t *testing.T) {
	s, path := tempStore(t)
	for i := range 100 {
		d := delivery(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second))
		d.Stream = "exten:991"
		mustAppend(t, s, d)
		k := delivery(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second))
		k.Key = fmt.Sprint("cdr:", i)
		mustAppend(t, s, k)
	}
	if n := bucketLen(t, s, bRecent); n != 200 || len(s.dd.hashes) != 100 || len(s.dd.streams) != 1 {
		t.Fatalf("journal %d, hashes %d, streams %d; want 200, 100, 1", n, len(s.dd.hashes), len(s.dd.streams))
	}
	// An hour later every hash and stream entry has expired; each batch prunes a bounded
	// number (2×batch+64), so four single appends clear the 200.
	for i := range 4 {
		mustAppend(t, s, delivery(fmt.Sprint("late", i), t0.Add(time.Hour)))
	}
	if n := bucketLen(t, s, bRecent); n != 4 || len(s.dd.hashes) != 4 || len(s.dd.streams) != 0 {
		t.Fatalf("after expiry: journal %d, hashes %d, streams %d; want the 4 fresh ones", n, len(s.dd.hashes), len(s.dd.streams))
	}
	if n := bucketLen(t, s, bKeys); n != 100 {
		t.Fatalf("natural keys = %d, want 100 (kept 7 days)", n)
	}
	// A rewritten entry is not deleted by its older journal record.
	d := delivery("again", t0.Add(time.Hour))
	mustAppend(t, s, d)
	d.ReceivedAt = t0.Add(time.Hour + 20*time.Minute)
	mustAppend(t, s, d) // outside the window: accepted, entry rewritten
	mustAppend(t, s, delivery("tick", t0.Add(time.Hour+20*time.Minute)))
	d.ReceivedAt = t0.Add(time.Hour + 21*time.Minute)
	if a := mustAppend(t, s, d); !a.Duplicate {
		t.Fatal("rewritten hash entry was pruned by its stale journal record")
	}
	// A week later the natural keys go too.
	for i := range 4 {
		mustAppend(t, s, delivery(fmt.Sprint("week", i), t0.Add(8*24*time.Hour)))
	}
	if n, m := bucketLen(t, s, bKeys), bucketLen(t, s, bKeyExpiry); n != 0 || m != 0 {
		t.Fatalf("natural keys after 8 days = %d (expiry %d), want 0", n, m)
	}
	// The journal reloads to the same memory.
	want := len(s.dd.hashes)
	s.Close()
	s = open(t, path, Options{NoSync: true})
	if len(s.dd.hashes) != want || s.dd.clock != t0.Add(8*24*time.Hour).UnixNano() {
		t.Fatalf("reloaded %d hashes (want %d), clock %d", len(s.dd.hashes), want, s.dd.clock)
	}
}

func TestConcurrentAppends(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "ringside.db"), Options{}) // with fsync
	const workers, each = 50, 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[uint64]string{}
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("%d-%d", w, i)
				a, err := s.Append(context.Background(), delivery(id, t0), []call.Event{event("a", id, t0)})
				if err != nil || a.Duplicate || len(a.Seqs) != 1 {
					errs <- fmt.Errorf("%s: %+v %v", id, a, err)
					return
				}
				mu.Lock()
				if prev, dup := seen[a.Seqs[0]]; dup {
					errs <- fmt.Errorf("seq %d given to %s and %s", a.Seqs[0], prev, id)
				}
				seen[a.Seqs[0]] = id
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if s.LastSeq() != workers*each {
		t.Fatalf("LastSeq = %d", s.LastSeq())
	}
	var all []call.Event
	for after := uint64(0); ; {
		evs, err := s.Events(after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		all = append(all, evs...)
		after = evs[len(evs)-1].Seq
	}
	if len(all) != workers*each {
		t.Fatalf("read %d events", len(all))
	}
	for i, e := range all {
		if e.Seq != uint64(i+1) || e.Call != "pbx1:"+seen[e.Seq] {
			t.Fatalf("event %d: seq %d call %s, appended as %s", i, e.Seq, e.Call, seen[e.Seq])
		}
	}
}

func TestReject(t *testing.T) {
	s, _ := tempStore(t)
	d := delivery("{broken", t0)
	if err := s.Reject(context.Background(), d, "unexpected end of JSON"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reject(context.Background(), delivery("x", t0), "too large"); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Rejected(0, 10)
	if err != nil || len(rs) != 2 {
		t.Fatalf("Rejected = %+v, %v", rs, err)
	}
	if rs[0].ID != 1 || rs[0].Reason != "unexpected end of JSON" || string(rs[0].Body) != "{broken" || rs[1].Reason != "too large" {
		t.Fatalf("rejected = %+v", rs)
	}
	if rs, _ := s.Rejected(1, 10); len(rs) != 1 || rs[0].ID != 2 {
		t.Fatalf("Rejected(1) = %+v", rs)
	}
	if s.LastSeq() != 0 {
		t.Fatal("a rejection wrote events")
	}
	// A rejected body does not make the same accepted body a duplicate.
	if a := mustAppend(t, s, d); a.Duplicate {
		t.Fatal("accepted delivery deduplicated against a rejected one")
	}
}

// Requests queued when Close is called are still committed; later ones are refused.
func TestCloseFinishesQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	// Hold bbolt's writer lock so the requests pile up in the queue.
	tx, err := s.db.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	type result struct {
		a   Appended
		err error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			a, err := s.Append(context.Background(), delivery(fmt.Sprint(i), t0), []call.Event{event("a", fmt.Sprint(i), t0)})
			results <- result{a, err}
		}()
	}
	waitFor(t, func() bool { return len(s.reqs) > 0 })
	time.Sleep(50 * time.Millisecond) // let the rest enqueue too
	queued := len(s.reqs)
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	waitFor(t, func() bool { s.mu.RLock(); defer s.mu.RUnlock(); return s.closed })
	if _, err := s.Append(context.Background(), delivery("late", t0), nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append after Close: %v, want ErrUnavailable", err)
	}
	if err := s.Reject(context.Background(), delivery("late", t0), "x"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Reject after Close: %v, want ErrUnavailable", err)
	}
	tx.Rollback()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	ok := map[uint64]bool{}
	for range n {
		r := <-results
		if r.err != nil {
			if !errors.Is(r.err, ErrUnavailable) {
				t.Fatalf("error not ErrUnavailable: %v", r.err)
			}
			continue
		}
		ok[r.a.Seqs[0]] = true
	}
	if len(ok) <= queued {
		t.Fatalf("%d appends succeeded, but %d were queued at Close (plus the batch in flight)", len(ok), queued)
	}
	s = open(t, path, Options{})
	if int(s.LastSeq()) != len(ok) {
		t.Fatalf("reopened log has %d events, %d appends were acknowledged", s.LastSeq(), len(ok))
	}
	evs, _ := s.Events(0, 100)
	for _, e := range evs {
		if !ok[e.Seq] {
			t.Fatalf("seq %d in the log was not acknowledged", e.Seq)
		}
	}
}

func TestAfterClose(t *testing.T) {
	s, _ := tempStore(t)
	s.Close()
	if _, err := s.Append(context.Background(), delivery("x", t0), nil); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Append: %v", err)
	}
	if _, err := s.Events(0, 1); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Events: %v", err)
	}
	sub := s.Subscribe(0)
	if _, ok := <-sub.C(); ok || !errors.Is(sub.Err(), ErrUnavailable) {
		t.Fatalf("Subscribe after Close: open channel or err %v", sub.Err())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	s, _ := tempStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	tx, _ := s.db.Begin(true) // the writer cannot commit
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := s.Append(ctx, delivery("x", t0), []call.Event{event("a", "1", t0)})
	tx.Rollback()
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled Append: %v", err)
	}
	// The request was queued, so it commits anyway; its retry is a duplicate.
	if a := mustAppend(t, s, delivery("x", t0)); !a.Duplicate {
		t.Fatal("retry of a cancelled-but-committed append not deduplicated")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ringside.db")
	open(t, path, Options{NoSync: true})
	start := time.Now()
	_, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("second Open: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("second Open took %v", d)
	}
	file := filepath.Join(dir, "plain")
	os.WriteFile(file, []byte("x"), 0o600)
	bad := filepath.Join(file, "ringside.db")
	if _, err := Open(bad, Options{}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("Open under a file: %v", err)
	}
	if _, err := Open(file, Options{}); err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("Open of a non-bbolt file: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}

func TestCallEvents(t *testing.T) {
	s, _ := tempStore(t)
	for i, id := range []string{"1", "10", "1", "2", "10", "1"} {
		mustAppend(t, s, delivery(fmt.Sprint(i), t0), event(fmt.Sprint("e", i), id, t0))
	}
	mustAppend(t, s, delivery("agent", t0), call.Event{Source: "pbx1", Type: call.AgentPaused, Agent: "pbx1:991"})
	long := strings.Repeat("x", 2*maxEntryKey)
	mustAppend(t, s, delivery("long", t0), event("long", long, t0))
	for id, want := range map[string][]uint64{"pbx1:1": {1, 3, 6}, "pbx1:10": {2, 5}, "pbx1:2": {4}, "pbx1:3": nil, "pbx1:" + long: {8}} {
		evs, err := s.CallEvents(id)
		if err != nil {
			t.Fatal(err)
		}
		var got []uint64
		for _, e := range evs {
			if e.Call != id || e.Name != fmt.Sprint("e", e.Seq-1) && id != "pbx1:"+long {
				t.Fatalf("%s: event %+v", id, e)
			}
			got = append(got, e.Seq)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("CallEvents(%s) seqs = %v, want %v", id[:min(len(id), 12)], got, want)
		}
	}
}
