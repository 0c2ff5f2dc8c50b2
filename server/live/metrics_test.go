package live

import (
	"testing"
	"time"

	"ringside/server/call"
)

// mcall is a call for the metric tables: queue, state, disposition, wait and talk.
func mcall(queue, state string, disp call.Disposition, dir call.Direction, wait, talk *float64) call.Call {
	return call.Call{Queue: queue, State: state, Disposition: disp, Direction: dir, WaitS: wait, TalkS: talk}
}

func TestTallyOfOneCall(t *testing.T) {
	r := NewRules(Config{Queues: map[string]QueueConfig{"p:fast": {SLThresholdS: 10, AbandonAfterS: 2}}})
	f := call.F
	in, out := call.Inbound, call.Outbound
	ended, answered := call.StateEnded, call.StateAnswered
	for _, tc := range []struct {
		name string
		c    call.Call
		want Tally
	}{
		{"no queue counts nowhere", mcall("", ended, call.Answered, in, f(3), f(60)), Tally{}},
		{"answered within 20 s (default)", mcall("p:q", ended, call.Answered, in, f(20), f(60)),
			Tally{Offered: 1, Answered: 1, SLMet: 1, TalkN: 1, WaitMs: 20000, TalkMs: 60000}},
		{"answered at 20.001 s misses the SL", mcall("p:q", ended, call.Answered, in, f(20.001), f(60)),
			Tally{Offered: 1, Answered: 1, TalkN: 1, WaitMs: 20001, TalkMs: 60000}},
		{"per-queue threshold 10 s", mcall("p:fast", ended, call.Answered, in, f(15), f(60)),
			Tally{Offered: 1, Answered: 1, TalkN: 1, WaitMs: 15000, TalkMs: 60000}},
		{"on a call: answered, no talk time yet", mcall("p:q", answered, call.Answered, in, f(4), nil),
			Tally{Offered: 1, Answered: 1, SLMet: 1, WaitMs: 4000}},
		{"abandoned after 5 s", mcall("p:q", ended, call.Missed, in, f(5.5), f(0)), Tally{Offered: 1, Abandoned: 1}},
		{"short abandon at exactly 5 s", mcall("p:q", ended, call.Missed, in, f(5), f(0)), Tally{Offered: 1, ShortAbandoned: 1}},
		{"per-queue abandon window 2 s", mcall("p:fast", ended, call.Missed, in, f(3), f(0)), Tally{Offered: 1, Abandoned: 1}},
		{"unknown wait counts as abandoned", mcall("p:q", ended, call.Missed, in, nil, nil), Tally{Offered: 1, Abandoned: 1}},
		{"outbound unanswered is offered only", mcall("p:q", ended, call.Missed, out, f(30), f(0)), Tally{Offered: 1}},
		{"waiting is offered only", mcall("p:q", call.StateQueued, "", in, nil, nil), Tally{Offered: 1}},
	} {
		if got := r.Tally(tc.c); got != tc.want {
			t.Errorf("%s: tally = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCountersFromTally(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    Tally
		want call.Counters
	}{
		{"nothing", Tally{}, call.Counters{}},
		// 3 answered (2 in SL), 1 abandoned, 1 short: SL 2/4 = 50 %, ASA 45/3 = 15 s, AHT (100+50)/2 = 75 s.
		{"mixed day", Tally{Offered: 5, Answered: 3, Abandoned: 1, ShortAbandoned: 1, SLMet: 2, TalkN: 2, WaitMs: 45000, TalkMs: 150000},
			call.Counters{Offered: 5, Answered: 3, Abandoned: 1, ShortAbandoned: 1, ServiceLevelPct: 50, ASAS: 15, AHTS: 75,
				SLMet: 2, TalkN: 2, WaitTotalS: 45, TalkTotalS: 150}},
		// 2 of 3 answered in SL: 66.666… rounds to 66.7; ASA 10/3 = 3.33… rounds to 3.3.
		{"rounding", Tally{Offered: 3, Answered: 3, SLMet: 2, WaitMs: 10000},
			call.Counters{Offered: 3, Answered: 3, ServiceLevelPct: 66.7, ASAS: 3.3, SLMet: 2, WaitTotalS: 10}},
		{"only short abandons: no SL", Tally{Offered: 2, ShortAbandoned: 2}, call.Counters{Offered: 2, ShortAbandoned: 2}},
		{"only abandons: SL 0 %", Tally{Offered: 2, Abandoned: 2}, call.Counters{Offered: 2, Abandoned: 2}},
	} {
		if got := tc.t.Counters(); got != tc.want {
			t.Errorf("%s: counters = %+v, want %+v", tc.name, got, tc.want)
		}
		if back := TallyOf(tc.t.Counters()); back != tc.t {
			t.Errorf("%s: TallyOf(Counters) = %+v, want %+v", tc.name, back, tc.t)
		}
	}
}

// Two queues pooled: Sales answered 10, 9 of them in SL; Support answered 2 (1 in SL)
// and lost 8. Pooled from counts: 10 in SL of 20 = 50 %. Averaging the queues'
// percentages (90 % and 10 %) weighted by answered calls would give 76.7 %.
func TestPoolFromCounts(t *testing.T) {
	sales := Tally{Offered: 10, Answered: 10, SLMet: 9, TalkN: 10, WaitMs: 100000, TalkMs: 1200000}
	support := Tally{Offered: 11, Answered: 2, Abandoned: 8, ShortAbandoned: 1, SLMet: 1, TalkN: 1, WaitMs: 50000, TalkMs: 300000}
	qs := []call.Queue{
		{ID: "p:sales", Waiting: 1, LongestWaitS: 12, Today: sales.Counters()},
		{ID: "p:support", Waiting: 2, LongestWaitS: 95, Today: support.Counters()},
		{ID: "p:idle", LongestWaitS: 500}, // nobody waiting: its stale longest wait is not the longest
	}
	got := Pool(qs)
	// ASA 150 s / 12 = 12.5 s; AHT 1500 s / 11 = 136.36… → 136.4 s.
	want := call.Counters{Offered: 21, Answered: 12, Abandoned: 8, ShortAbandoned: 1, ServiceLevelPct: 50, ASAS: 12.5, AHTS: 136.4,
		SLMet: 10, TalkN: 11, WaitTotalS: 150, TalkTotalS: 1500}
	if got.Today != want || got.Waiting != 3 || got.LongestWaitS != 95 {
		t.Errorf("pool = %+v, want waiting 3, longest 95, today %+v", got, want)
	}
}

func TestLongestWait(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	arr := map[string]time.Time{"a": t0, "b": t0.Add(30 * time.Second)}
	if got := longestWait(t0.Add(90*time.Second+900*time.Millisecond), arr); got != 90 {
		t.Errorf("longest = %v, want 90 (whole seconds of the oldest)", got)
	}
	if got := longestWait(t0, nil); got != 0 {
		t.Errorf("nobody waiting: %v", got)
	}
}
