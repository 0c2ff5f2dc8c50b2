package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
	"ringside/views"
)

// The hourly chart counts as the tiles do: per-queue thresholds, short abandons left out.
func TestHourChartUsesQueueRules(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "r.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC)
	at := func(h, m int) *time.Time { return call.T(time.Date(2026, 3, 10, h, m, 0, 0, time.UTC)) }
	mk := func(id, q string, start *time.Time, disp call.Disposition, wait float64) call.Call {
		return call.Call{ID: id, Source: "p", Queue: q, Direction: call.Inbound, State: call.StateEnded, Disposition: disp,
			StartedAt: start, EndedAt: call.T(start.Add(time.Minute)), WaitS: call.F(wait), TalkS: call.F(30)}
	}
	calls := []call.Call{
		mk("p:1", "p:fast", at(9, 1), call.Answered, 8),  // fast: 10 s threshold, met
		mk("p:2", "p:fast", at(9, 2), call.Answered, 15), // fast: missed (the old fixed 20 s would count it)
		mk("p:3", "p:slow", at(9, 3), call.Answered, 15), // slow: default 20 s, met
		mk("p:4", "p:slow", at(9, 4), call.Missed, 3),    // short abandon: not in the SL
		mk("p:5", "p:slow", at(10, 5), call.Missed, 40),  // abandoned
		mk("p:6", "", at(10, 6), call.Answered, 1),       // no queue: not in the chart
	}
	if err := st.PutCDRs(context.Background(), calls); err != nil {
		t.Fatal(err)
	}
	rules := live.NewRules(live.Config{Queues: map[string]live.QueueConfig{"p:fast": {SLThresholdS: 10}}})
	h := &hourCache{st: st, ttl: time.Second, rules: rules}
	got := h.compute(now)
	// 09: 4 offered, 3 answered (2 in SL), 0 abandoned → 2/3 = 66.7 %; 10: 1 abandoned → 0 %.
	want := map[int]views.HourPoint{9: {Hour: 9, Offered: 4, Answered: 3, SLPct: 66.7}, 10: {Hour: 10, Offered: 1, Abandoned: 1}}
	if len(got) != 11 {
		t.Fatalf("%d hours, want 11 (00..10)", len(got))
	}
	for _, p := range got {
		if w := want[p.Hour]; p != (views.HourPoint{Hour: p.Hour}) || w != (views.HourPoint{}) {
			if p != w {
				t.Errorf("hour %02d = %+v, want %+v", p.Hour, p, w)
			}
		}
	}
}

// Two people in two zones at once each get today's chart in their own zone: hours from
// their own midnight, calls by the hour they started there (a cached chart of the
// other zone is never handed out).
func TestHourChartPerZone(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "z.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	teh, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC) // 14:00 in Tehran
	start := call.T(time.Date(2026, 3, 10, 9, 1, 0, 0, time.UTC))
	c := call.Call{ID: "p:1", Source: "p", Queue: "p:q", Direction: call.Inbound, State: call.StateEnded, Disposition: call.Answered,
		StartedAt: start, EndedAt: call.T(start.Add(time.Minute)), WaitS: call.F(5), TalkS: call.F(30)}
	if err := st.PutCDRs(context.Background(), []call.Call{c}); err != nil {
		t.Fatal(err)
	}
	h := &hourCache{st: st, ttl: time.Hour, rules: live.NewRules(live.Config{})}
	utc, tehran := h.get(now), h.get(now.In(teh))
	if len(utc) != 11 || utc[9].Offered != 1 {
		t.Errorf("UTC chart: %d hours, hour 09 %+v; want 11 hours, the call at 09", len(utc), utc[min(9, len(utc)-1)])
	}
	if len(tehran) != 15 || tehran[12].Offered != 1 || tehran[9].Offered != 0 {
		t.Errorf("Tehran chart: %d hours; want 15 (00..14), the call at 12 (09:01 UTC is 12:31 there)", len(tehran))
	}
}
