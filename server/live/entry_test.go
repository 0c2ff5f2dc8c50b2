package live

import (
	"testing"
	"time"

	"ringside/server/call"
)

// Simotel, every agent of queue 902 busy: IncomingCall (entry_point 2191305588, no queue)
// and no phone rings; the caller hangs up after 45 s; Cdr and CdrQueue (NO ANSWER) follow.
func simotelAllBusyAbandon(entry string) *scenario {
	s := newScenario("simotel_all_busy", "pbx1", "simotel")
	c, caller := "1709629300.400", from("09351234567")
	s.ev(0, call.CallOffered, c, name("IncomingCall"), dir(call.Inbound), caller, did(entry))
	s.ev(46, call.CallRecord, c, name("Cdr"), caller, to("902"), did(entry), dir(call.Inbound),
		disp(call.Missed), started(0), endedAt(45), dur(45), talk(0), wait(45))
	s.ev(46, call.CallRecord, c, name("CdrQueue"), caller, dir(call.Inbound), queue("902"),
		disp(call.Missed), started(1), endedAt(45), dur(44), talk(0), wait(44), reason("caller"))
	return s
}

func TestEntryPointWaitsInItsQueue(t *testing.T) {
	cfg := testConfig()
	cfg.EntryPoints = map[string]string{"pbx1:2191305588": "pbx1:902"}
	b := New(cfg)
	s := simotelAllBusyAbandon("02191305588") // the PBX writes the leading zero; the config does not
	b.Apply(s.events[0])
	q := queueAt(t, b, sec(30), "pbx1:902")
	if q.Waiting != 1 || q.LongestWaitS != 30 || q.Today.Offered != 1 {
		t.Errorf("902 while the caller waits = %+v", q)
	}
	for _, x := range b.Queues(sec(30)) {
		if x.Unqueued {
			t.Errorf("a caller at a configured entry point is in its queue, not unqueued: %+v", x)
		}
	}
	if c := callOf(t, b, "pbx1:1709629300.400"); c.Queue != "pbx1:902" || c.State != call.StateQueued {
		t.Errorf("call = %+v", c)
	}
	for _, e := range s.events[1:] {
		b.Apply(e)
	}
	// The queue record's wait (44 s) is the PBX's own queue wait: abandoned, not short.
	q = queueOf(t, b, "pbx1:902")
	want := call.Counters{Offered: 1, Abandoned: 1}
	if q.Waiting != 0 || q.Today != want {
		t.Errorf("902 after the abandon = %+v, want today %+v", q, want)
	}
	if c, _ := b.Call("pbx1:1709629300.400"); num(c.WaitS) != 44 {
		t.Errorf("wait = %v, want the CdrQueue's 44", num(c.WaitS))
	}
}

func TestUnknownEntryPointIsNotYetInAQueue(t *testing.T) {
	b := New(testConfig())
	s := simotelAllBusyAbandon("02191300000")
	chs := b.Apply(s.events[0])
	if !hasChange(chs, KindQueue, "pbx1:") {
		t.Errorf("changes = %+v, want the unqueued figure", chs)
	}
	q := queueAt(t, b, sec(30), "pbx1:")
	if !q.Unqueued || q.Waiting != 1 || q.LongestWaitS != 30 || q.Today != (call.Counters{}) {
		t.Errorf("not yet in a queue = %+v", q)
	}
	for _, e := range s.events[1:] {
		b.Apply(e)
	}
	for _, x := range b.Queues(sec(60)) {
		if x.Unqueued {
			t.Errorf("nobody waits any more: %+v", x)
		}
	}
	// The CdrQueue said 902: the call counts there, once.
	if q := queueOf(t, b, "pbx1:902"); q.Today.Offered != 1 || q.Today.Abandoned != 1 {
		t.Errorf("902 = %+v", q)
	}
}

// Outbound and internal calls are nobody waiting.
func TestOnlyInboundCallersWaitUnqueued(t *testing.T) {
	b := New(testConfig())
	s := newScenario("x", "pbx1", "simotel")
	s.ev(0, call.CallOffered, "out", name("OutgoingCall"), dir(call.Outbound), to("0912"))
	s.ev(0, call.LegRinging, "int", name("NewState"), agent("991"), dir(call.Internal), from("992"))
	for _, e := range s.events {
		b.Apply(e)
	}
	for _, q := range b.Queues(sec(10)) {
		if q.Waiting != 0 {
			t.Errorf("queue %+v has waiting callers", q)
		}
	}
}

func hasChange(chs []Change, kind, id string) bool {
	for _, c := range chs {
		if c.Kind == kind && c.ID == id {
			return true
		}
	}
	return false
}

func queueAt(t *testing.T, b *Board, at time.Time, id string) call.Queue {
	t.Helper()
	for _, q := range b.Queues(at) {
		if q.ID == id {
			return q
		}
	}
	t.Fatalf("queue %s not on the board", id)
	return call.Queue{}
}
