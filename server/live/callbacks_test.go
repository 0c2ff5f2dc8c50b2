package live

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"ringside/server/call"
)

// mark is a person's callback fact about the abandoned call id of number, as the server
// logs it: EndedAt is the end of that call as the person saw it listed.
func mark(typ call.Type, at float64, callID, number, by string, endedAtS float64) call.Event {
	return call.Event{Source: "pbx1", Vendor: "ringside", Name: string(typ), Type: typ, Call: callID, From: number,
		By: by, At: sec(at), ReceivedAt: sec(at), EndedAt: tp(endedAtS)}
}

// callbackStory: callers who gave up in every way, reached on another source, marked done
// and taken.
func callbackStory() []call.Event {
	s := newScenario("callbacks", "cloud", "cloudcdr")
	// Everyone busy: the caller was turned away at once, and is listed.
	s.ev(2, call.CallRecord, "busy1", name("CloudSessionCdr"), dir(call.Inbound), from("+420777111222"), queue("Support"),
		started(0), endedAt(2), wait(0), disp(call.Busy), reason("USER_BUSY"))
	s.source("pbx1", "simotel")
	// Gave up after 3 s: within the short-abandon window, a misdial.
	s.ev(3, call.CallRecord, "short", name("Cdr"), dir(call.Inbound), from("09120000001"), queue("902"),
		started(0), endedAt(3), wait(3), disp(call.Missed))
	// Waited 30 s, then reached by an answered outbound call from VOIPEX (the digits match).
	s.ev(30, call.CallRecord, "c1", name("Cdr"), dir(call.Inbound), from("0912 123 4567"), queue("902"),
		started(0), endedAt(30), wait(30), disp(call.Missed), leg("992", call.OutcomeNoAnswer))
	// Twice abandoned; the first marked done, the second taken by Petr.
	s.ev(40, call.CallRecord, "d1", name("Cdr"), dir(call.Inbound), from("09125550000"), queue("902"),
		started(0), endedAt(40), wait(40), disp(call.Missed))
	s.ev(100, call.CallRecord, "d2", name("Cdr"), dir(call.Inbound), from("09125550000"), queue("902"),
		started(60), endedAt(100), wait(40), disp(call.Failed))
	// Taken, then abandoned again: listed as not taken.
	s.ev(50, call.CallRecord, "e1", name("Cdr"), dir(call.Inbound), from("09127770000"), queue("903"),
		started(0), endedAt(50), wait(50), disp(call.Missed))
	s.ev(200, call.CallRecord, "e2", name("Cdr"), dir(call.Inbound), from("09127770000"), queue("903"),
		started(150), endedAt(200), wait(50), disp(call.Missed))
	s.source("ipex", "voipex")
	s.ev(120, call.CallOffered, "out1", name("NewCall"), dir(call.Outbound), from("444"), to("09121234567"), agent("444"))
	s.ev(125, call.CallAnswered, "out1", name("Answered"), dir(call.Outbound), agent("444"), answeredAt(125))
	s.ev(180, call.CallEnded, "out1", name("Hangup"), dir(call.Outbound), agent("444"), endedAt(180), reason("Normal Clearing"))
	return append(s.events,
		mark(call.CallbackDone, 110, "pbx1:d1", "09125550000", "Jana Dvořáková", 40),
		mark(call.CallbackTaken, 130, "pbx1:d2", "09125550000", "Petr Novák", 100),
		mark(call.CallbackTaken, 60, "pbx1:e1", "09127770000", "Petr Novák", 50),
	)
}

func listing(t *testing.T, b *Board) string {
	t.Helper()
	j, err := json.MarshalIndent(b.Callbacks(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

func TestCallbacks(t *testing.T) {
	b, chs := play(callbackStory())
	got := b.Callbacks()
	type row struct {
		num, last, taken string
		count            int
	}
	want := []row{
		{"09127770000", "pbx1:e2", "", 2}, // taken, then abandoned again: both count
		{"09125550000", "pbx1:d2", "Petr Novák", 1},
		{"+420777111222", "cloud:busy1", "", 1},
	}
	if len(got) != len(want) {
		t.Fatalf("listed:\n%s", listing(t, b))
	}
	for i, w := range want {
		g := got[i]
		if g.Number != w.num || g.Last.ID != w.last || g.TakenBy != w.taken || g.Count != w.count {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if g := got[2]; g.Last.Disposition != call.Busy || len(g.Queues) != 1 || g.Queues[0] != "cloud:Support" {
		t.Errorf("busy caller = %+v", g)
	}
	if _, ok := b.Callback("0912 1234 567"); ok {
		t.Error("the caller reached by the outbound call is still listed")
	}
	seen := map[string]bool{}
	for _, c := range chs {
		if c.Kind == KindCallback {
			seen[c.ID] = true
			if c.Audience == nil {
				t.Errorf("callback change without audience: %+v", c)
			}
		}
	}
	if !seen["09121234567"] || !seen["09125550000"] || seen["09120000001"] {
		t.Errorf("callback changes for %v", seen)
	}
}

// The list is a function of the facts: any order, any duplicates, and snapshot + replay
// at any point, give the same list.
func TestCallbacksConverge(t *testing.T) {
	evs := callbackStory()
	for _, s := range scenarios() {
		evs = append(evs, s.events...)
	}
	full, _ := play(evs)
	want := listing(t, full)
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 100; n++ {
		sh := shuffled(r, evs)
		b, _ := play(sh)
		if got := listing(t, b); got != want {
			t.Fatalf("shuffle %d differs.\norder:%s\ngot:\n%s\nwant:\n%s", n, names(sh), got, want)
		}
		k := r.IntN(len(sh) + 1)
		half, _ := play(sh[:k])
		data, err := half.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		rb, err := Restore(testConfig(), data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range sh[k:] {
			rb.Apply(e)
		}
		if got := listing(t, rb); got != want {
			t.Fatalf("shuffle %d split at %d differs:\n%s", n, k, got)
		}
	}
}

// Callers outlive their calls' retention (and a restart after it), for callbackKeep.
func TestCallbacksOutliveRetention(t *testing.T) {
	b, _ := play(callbackStory())
	want := listing(t, b)
	tick := func(b *Board, d time.Duration) []Change {
		return b.Apply(call.Event{Source: "ipex", Type: call.AgentLogin, Agent: "ipex:x", At: t0.Add(d), ReceivedAt: t0.Add(d)})
	}
	tick(b, 73*time.Hour)
	if _, ok := b.Call("pbx1:e2"); ok {
		t.Fatal("the call was not dropped: the test proves nothing")
	}
	if got := listing(t, b); got != want {
		t.Fatalf("after retention:\n%s\nwant:\n%s", got, want)
	}
	data, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Restore(testConfig(), data)
	if err != nil {
		t.Fatal(err)
	}
	if got := listing(t, rb); got != want {
		t.Fatalf("restored after retention:\n%s\nwant:\n%s", got, want)
	}
	// Done on a restored board, for a call no longer in memory.
	rb.Apply(mark(call.CallbackDone, 74*3600, "pbx1:e2", "09127770000", "Jana Dvořáková", 200))
	if _, ok := rb.Callback("09127770000"); ok {
		t.Error("marked done, still listed")
	}
	chs := tick(rb, 14*24*time.Hour)
	if got := rb.Callbacks(); len(got) != 0 {
		t.Errorf("kept past callbackKeep: %+v", got)
	}
	left := map[string]bool{}
	for _, c := range chs {
		if c.Kind == KindCallback {
			left[c.ID] = true
		}
	}
	if !left["09125550000"] || !left["420777111222"] {
		t.Errorf("callback changes when the last two callers expired: %v", left)
	}
	if len(rb.cb.facts) != 0 || len(rb.cb.marks) != 0 || len(rb.cb.reached) != 0 {
		t.Errorf("left behind: %d facts, %d marks, %d reaches", len(rb.cb.facts), len(rb.cb.marks), len(rb.cb.reached))
	}
}
