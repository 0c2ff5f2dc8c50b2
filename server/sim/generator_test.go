package sim

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"ringside/server/call"
)

func genSources() []Source {
	srcs := testSources()
	out := []Source{srcs["pbx1"], srcs["ipex"], srcs["cloud"], srcs["sipsim"]}
	for i := range out {
		out[i].Variant = VariantMix
	}
	return out
}

// stories generates n stories at the generator's natural pace.
func stories(seed uint64, n int, opt Options) []Story {
	g := NewGenerator(seed, genSources(), opt)
	out := make([]Story, n)
	t := start
	for i := range out {
		out[i] = g.Next(t)
		t = t.Add(g.Interval())
	}
	return out
}

func TestGeneratorIsDeterministic(t *testing.T) {
	a, b := stories(42, 300, Options{}), stories(42, 300, Options{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different stories")
	}
	if reflect.DeepEqual(a, stories(43, 300, Options{})) {
		t.Fatal("different seeds gave the same stories")
	}
}

// A long generated run: every kind occurs in a realistic mix, stories are consistent
// with themselves and with the agents' states, and every one decodes on its vendor.
func TestGeneratorStories(t *testing.T) {
	const n = 3000
	all := stories(7, n, Options{})
	srcs := map[string]Source{}
	for _, s := range genSources() {
		srcs[s.Name] = s
	}
	count := map[Kind]int{}
	ids := map[string]bool{}
	type span struct{ from, to time.Time }
	onCall := map[string][]span{} // source/agent ext → answered intervals
	paused := map[string]time.Time{}
	for i, st := range all {
		count[st.Kind]++
		if ids[st.ID] {
			t.Fatalf("story %d: id %s used twice", i, st.ID)
		}
		ids[st.ID] = true
		src, ok := srcs[st.Source]
		if !ok {
			t.Fatalf("story %d: unknown source %q", i, st.Source)
		}
		key := func(a Agent) string { return st.Source + "/" + a.Ext }
		switch st.Kind {
		case AgentPause:
			paused[key(st.Agent)] = st.Start
		case AgentUnpause:
			delete(paused, key(st.Agent))
		}
		if st.IsCall() {
			if st.End <= 0 || (st.Answered && (st.Answer <= 0 || st.Answer >= st.End)) {
				t.Errorf("story %d (%s): answer %s end %s", i, st.Kind, st.Answer, st.End)
			}
			answers := 0
			for _, a := range st.Chain {
				if a.Start < 0 || a.End < a.Start || a.End > st.End {
					t.Errorf("story %d (%s): attempt %+v outside the call (end %s)", i, st.Kind, a, st.End)
				}
				if _, p := paused[key(a.Agent)]; p && st.Kind != RecordOnly {
					t.Errorf("story %d: paused agent %s offered a call", i, a.Agent.Ext)
				}
				if a.Outcome == call.OutcomeAnswer {
					answers++
					if a.Agent != st.Agent || a.End != st.Answer {
						t.Errorf("story %d: answer attempt %+v, story agent %s at %s", i, a, st.Agent.Ext, st.Answer)
					}
				}
			}
			if inbound := st.CallKind() != Outbound; inbound && answers != map[bool]int{true: 1}[st.Answered] {
				t.Errorf("story %d (%s): %d answering attempts, answered %v", i, st.Kind, answers, st.Answered)
			}
			if (st.CallKind() == QueueAnswered || st.CallKind() == Transfer) != (st.Answered && st.CallKind() != Outbound) {
				t.Errorf("story %d: kind %s answered %v", i, st.CallKind(), st.Answered)
			}
			if st.Kind == Transfer && (st.TransferTo == nil || st.TransferAt <= st.Answer || st.TransferAt >= st.End) {
				t.Errorf("story %d: transfer %+v at %s", i, st.TransferTo, st.TransferAt)
			}
			// No agent takes two calls at once.
			if st.Answered && st.Kind != RecordOnly {
				mine := []struct {
					a        Agent
					from, to time.Duration
				}{{st.Agent, st.Answer, st.End}}
				if st.TransferTo != nil {
					mine[0].to = st.TransferAt
					mine = append(mine, struct {
						a        Agent
						from, to time.Duration
					}{*st.TransferTo, st.TransferAt, st.End})
				}
				for _, m := range mine {
					sp := span{st.Start.Add(m.from), st.Start.Add(m.to)}
					for _, o := range onCall[key(m.a)] {
						if sp.from.Before(o.to) && o.from.Before(sp.to) {
							t.Errorf("story %d: agent %s on two calls at once (%v and %v)", i, key(m.a), o, sp)
						}
					}
					onCall[key(m.a)] = append(onCall[key(m.a)], sp)
				}
			}
		}
		// Sent in time order on every vendor, even a ring-all chain on a sequential one.
		for _, other := range srcs {
			ds := Render(other, st)
			if !slices.IsSortedFunc(ds, func(a, b Delivery) int { return int(a.At - b.At) }) {
				t.Errorf("story %d (%s) on %s: deliveries out of time order", i, st.Kind, other.Name)
			}
		}
		evs := decodeAll(t, src, Render(src, st))
		if len(evs) == 0 && (st.IsCall() || src.Vendor == "simotel" || src.Vendor == "voipex") {
			t.Errorf("story %d (%s on %s) renders nothing", i, st.Kind, src.Vendor)
		}
	}
	for _, k := range Kinds {
		if count[k] == 0 {
			t.Errorf("no %s story in %d", k, n)
		}
	}
	if share := float64(count[QueueAnswered]+count[Transfer]) / n; share < 0.5 {
		t.Errorf("answered queue calls are %.0f%% of stories, want most: %v", share*100, count)
	}
	t.Logf("mix: %v", count)
}

func TestGeneratorAgents(t *testing.T) {
	g := NewGenerator(1, genSources(), Options{AgentsPerSource: 10})
	if got := len(g.Agents("ipex")); got != 10 {
		t.Fatalf("%d agents, want 10", got)
	}
	seen := map[string]bool{}
	for _, a := range g.Agents("ipex") {
		if a.Login == "" || a.Ext == "" || seen[a.Login] {
			t.Errorf("agent %+v: missing or repeated identity", a)
		}
		seen[a.Login] = true
	}
	for _, a := range g.Agents("sipsim") {
		if len(a.Number) != 13 || a.Number[:6] != "+37529" {
			t.Errorf("sipsim agent number %q", a.Number)
		}
	}
	// Agents of vendors that report logins log in first.
	var first []Kind
	for range 12 {
		first = append(first, g.Next(start).Kind)
	}
	if slices.ContainsFunc(first, func(k Kind) bool { return k != AgentLogin }) {
		t.Errorf("the first stories are %v, want 10 + 10 logins first", first)
	}
}

// Speed shortens the stories and the natural gap between them by its factor.
func TestGeneratorSpeed(t *testing.T) {
	mean := func(opt Options) (end, gap time.Duration) {
		g := NewGenerator(3, genSources(), opt)
		calls := 0
		for _, st := range stories(3, 2000, opt) {
			if st.IsCall() {
				end += st.End
				calls++
			}
		}
		return end / time.Duration(calls), g.Interval()
	}
	end1, gap1 := mean(Options{})
	end10, gap10 := mean(Options{Speed: 10})
	if r := float64(end1) / float64(end10); r < 8 || r > 12 {
		t.Errorf("mean call %s at speed 1, %s at speed 10", end1, end10)
	}
	if r := float64(gap1) / float64(gap10); r < 9.9 || r > 10.1 {
		t.Errorf("interval %s at speed 1, %s at speed 10", gap1, gap10)
	}
	if end1 < time.Minute || end1 > 4*time.Minute {
		t.Errorf("mean call lasts %s, want a few minutes", end1)
	}
}

// VOIPEX agents log into each of their queues on its own and out of one while staying
// in the other; a queue call never rings an agent logged out of that queue.
func TestGeneratorPerQueueLogins(t *testing.T) {
	in := map[string]map[string]bool{} // agent login → queues logged into
	partial := 0
	for i, st := range stories(11, 6000, Options{}) {
		if st.Source != "ipex" {
			continue
		}
		who := st.Agent.Login
		if in[who] == nil {
			in[who] = map[string]bool{}
		}
		switch st.Kind {
		case AgentLogin:
			in[who][st.Queue] = true
		case AgentLogout:
			delete(in[who], st.Queue)
			if len(in[who]) > 0 {
				partial++
			}
		case QueueAnswered, Missed, Transfer:
			for _, a := range st.Chain {
				if a.Outcome != call.OutcomeUnavailable && a.Outcome != call.OutcomeBusy && len(in[a.Agent.Login]) > 0 && !in[a.Agent.Login][st.Queue] {
					t.Errorf("story %d: %s rang in %s, logged into %v", i, a.Agent.Login, st.Queue, in[a.Agent.Login])
				}
			}
		}
	}
	two := 0
	for _, qs := range in {
		if len(qs) >= 2 {
			two++
		}
	}
	if two == 0 || partial == 0 {
		t.Errorf("agents in two queues: %d, logouts from one queue only: %d (want both)", two, partial)
	}
}
