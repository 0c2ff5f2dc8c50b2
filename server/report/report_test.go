package report

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	st, err := store.Open(filepath.Join(t.TempDir(), "r.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func rules() Rules {
	return RulesOf(live.Config{Queues: map[string]live.QueueConfig{"p:sales": {Name: "Sales", SLThresholdS: 30, AbandonAfterS: 10}},
		Default: live.QueueConfig{SLThresholdS: 20, AbandonAfterS: 5}})
}

func at(min float64) *time.Time { return call.T(t0.Add(time.Duration(min * float64(time.Minute)))) }

// ended is an ended queue call starting min minutes after t0.
func ended(id, queue string, min, wait, talk float64, agent string) call.Call {
	c := call.Call{ID: id, Source: "p", Queue: queue, Direction: call.Inbound, State: call.StateEnded,
		StartedAt: at(min), WaitS: call.F(wait), TalkS: call.F(talk), Disposition: call.Missed}
	if agent != "" {
		c.Disposition, c.Agent = call.Answered, agent
		c.Legs = []call.Leg{{Agent: agent, StartedAt: at(min), Outcome: call.OutcomeAnswer, TalkS: call.F(talk)}}
	}
	return c
}

func day(p Params) Params {
	p.From, p.To, p.Zone = t0.Truncate(24*time.Hour), t0.Truncate(24*time.Hour).Add(24*time.Hour), time.UTC
	if p.GroupBy == "" {
		p.GroupBy = call.GroupTotal
	}
	return p
}

func TestQueueFiguresAndLateChanges(t *testing.T) {
	st := openStore(t)
	r := &Reader{Store: st, Rules: rules()}
	calls := []call.Call{
		ended("c1", "p:sales", 0, 25, 100, "p:1"), // SL met (30 s threshold for sales)
		ended("c2", "p:sales", 5, 40, 0, ""),      // abandoned after 10 s: against SL
		ended("c3", "p:sales", 7, 8, 0, ""),       // short abandon: not in SL
		ended("c4", "p:other", 70, 25, 60, "p:2"), // default 20 s threshold: not met
	}
	if err := Update(st, r.Rules, calls, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := r.Queues(day(Params{}))
	if err != nil {
		t.Fatal(err)
	}
	want := []call.QueueRow{
		{Queue: "p:other", Name: "other", Offered: 1, Answered: 1, ServiceLevelPct: 0, ASAS: 25, AHTS: 60, LongestWaitS: 25},
		{Queue: "p:sales", Name: "sales", Offered: 3, Answered: 1, Abandoned: 1, ShortAbandoned: 1, ServiceLevelPct: 50, ASAS: 25, AHTS: 100, LongestWaitS: 40},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows\n%+v\nwant\n%+v", rows, want)
	}

	// A late record: c2 was answered after all, 12 s in, and moved to the other queue.
	// Its old contribution (and the longest wait it held) goes; the new one counts.
	late := ended("c2", "p:other", 5, 12, 30, "p:1")
	if err := Update(st, r.Rules, []call.Call{late}, nil); err != nil {
		t.Fatal(err)
	}
	rows, _ = r.Queues(day(Params{GroupBy: call.GroupHour}))
	want = []call.QueueRow{
		{Queue: "p:other", Name: "other", Period: "2026-03-10T09:00:00Z", Offered: 1, Answered: 1, ServiceLevelPct: 100, ASAS: 12, AHTS: 30, LongestWaitS: 12},
		{Queue: "p:other", Name: "other", Period: "2026-03-10T10:00:00Z", Offered: 1, Answered: 1, ServiceLevelPct: 0, ASAS: 25, AHTS: 60, LongestWaitS: 25},
		{Queue: "p:sales", Name: "sales", Period: "2026-03-10T09:00:00Z", Offered: 2, Answered: 1, ShortAbandoned: 1, ServiceLevelPct: 100, ASAS: 25, AHTS: 100, LongestWaitS: 25},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("after the late record\n%+v\nwant\n%+v", rows, want)
	}
	// The same record again changes nothing.
	Update(st, r.Rules, []call.Call{late}, nil)
	if again, _ := r.Queues(day(Params{GroupBy: call.GroupHour})); !reflect.DeepEqual(again, want) {
		t.Fatalf("a repeated record changed the report: %+v", again)
	}
}

func pres(agent string, min float64, seq uint64, state, reason string) store.Presence {
	return store.Presence{Agent: agent, At: *at(min), Seq: seq, State: state, Reason: reason}
}

// Presence facts arriving in any order give the same times; the last one's interval
// runs to now (or the period's end).
func TestPresenceInAnyOrder(t *testing.T) {
	facts := []store.Presence{
		pres("p:1", 0, 1, presReady, ""),
		pres("p:1", 20, 2, presPaused, "Lunch"),
		pres("p:1", 50, 3, presReady, ""),
		pres("p:1", 70, 4, presPaused, "Training"),
		pres("p:1", 77.5, 5, presReady, ""),
		pres("p:1", 120, 6, presOffline, ""),
		pres("p:1", 180, 7, presReady, ""),
	}
	want := call.AgentRow{Agent: "p:1", Name: "1", Offered: 1, Answered: 1, TalkS: 600, AHTS: 600,
		LoggedInS: 120*60 + 30*60, PausedS: map[string]float64{"Lunch": 1800, "Training": 450},
		AvailableS: 150*60 - 1800 - 450 - 600, OccupancyPct: round1(100 * 600.0 / (150*60 - 1800 - 450))}
	for name, order := range map[string][]int{"in order": {0, 1, 2, 3, 4, 5, 6}, "reversed": {6, 5, 4, 3, 2, 1, 0}, "shuffled": {3, 0, 6, 2, 5, 1, 4, 3}} {
		t.Run(name, func(t *testing.T) {
			st := openStore(t)
			r := &Reader{Store: st, Rules: rules()}
			Update(st, r.Rules, []call.Call{ended("c1", "p:sales", 30, 5, 600, "p:1")}, nil)
			for _, i := range order { // one transaction each: neighbours come from the store
				if err := Update(st, r.Rules, nil, []store.Presence{facts[i]}); err != nil {
					t.Fatal(err)
				}
			}
			p := day(Params{})
			p.Now = t0.Add(210 * time.Minute) // 30 min after the last login
			rows, err := r.Agents(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
				t.Fatalf("rows %+v\nwant %+v", rows, want)
			}
		})
	}
}

// Buckets are quarter hours: a zone half an hour off UTC groups whole local hours.
func TestHalfHourZone(t *testing.T) {
	st := openStore(t)
	r := &Reader{Store: st, Rules: rules()}
	tehran, _ := time.LoadLocation("Asia/Tehran")
	Update(st, r.Rules, []call.Call{ended("a", "p:q", 20, 1, 1, ""), ended("b", "p:q", 40, 1, 1, "")}, nil) // 12:50 and 13:10 in Tehran
	p := day(Params{GroupBy: call.GroupHour})
	p.Zone = tehran
	rows, _ := r.Queues(p)
	if len(rows) != 2 || rows[0].Period != "2026-03-10T12:00:00+03:30" || rows[1].Period != "2026-03-10T13:00:00+03:30" {
		t.Fatalf("rows %+v", rows)
	}
}

// Missing buckets are rebuilt from the stored CDRs and the log's agent events.
func TestEnsureRebuilds(t *testing.T) {
	st := openStore(t)
	c := ended("c1", "p:sales", 0, 25, 100, "p:1")
	if err := st.PutCDRs(context.Background(), []call.Call{c}); err != nil {
		t.Fatal(err)
	}
	login := call.Event{Source: "p", Type: call.AgentLogin, Agent: "p:1", At: t0, ReceivedAt: t0}
	logout := login
	logout.Type, logout.At = call.AgentLogout, t0.Add(time.Hour)
	if _, err := st.Append(context.Background(), store.Delivery{Source: "p", Method: "POST", ReceivedAt: t0}, []call.Event{login, logout}); err != nil {
		t.Fatal(err)
	}
	r := &Reader{Store: st, Rules: rules()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := Ensure(context.Background(), st, r.Rules, log); err != nil {
		t.Fatal(err)
	}
	rows, _ := r.Agents(day(Params{Now: t0.Add(2 * time.Hour)}))
	if len(rows) != 1 || rows[0].Answered != 1 || rows[0].LoggedInS != 3600 {
		t.Fatalf("rebuilt %+v", rows)
	}
	qs, _ := r.Queues(day(Params{}))
	if len(qs) != 1 || qs[0].Offered != 1 {
		t.Fatalf("rebuilt queues %+v", qs)
	}
	// Built once: a second start does not rebuild (a changed rule would).
	stamp := st.BucketStamp()
	if stamp == "" || Ensure(context.Background(), st, r.Rules, log) != nil || st.BucketStamp() != stamp {
		t.Fatal("stamp not kept")
	}
	if RulesOf(live.Config{Default: live.QueueConfig{SLThresholdS: 15}}).stamp() == stamp {
		t.Fatal("a changed threshold keeps the stamp")
	}
}
