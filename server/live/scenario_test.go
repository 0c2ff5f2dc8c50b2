package live

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ringside/server/call"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// t0 is the scenarios' origin: 09:00 UTC, 12:30 in Tehran, 10:00 in Prague.
var t0 = time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)

// now is when the tests look at the boards: the same local day in every test zone.
var now = t0.Add(3 * time.Hour)

func testConfig() Config {
	loc := func(name string) *time.Location {
		l, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		return l
	}
	return Config{
		Directory: []DirectoryEntry{
			{ID: "petr", Name: "Petr Novák", Match: []string{"ipex:petr.novak", "ipex:444", "pbx1:991", "sipsim:+375290000003"}},
			{ID: "jana", Name: "Jana Dvořáková", Match: []string{"pbx1:992"}},
			{ID: "nobody", Name: "Zdeněk Nikdo", Match: []string{"pbx1:999"}},
		},
		Queues:    map[string]QueueConfig{"pbx1:903": {SLThresholdS: 20, AbandonAfterS: 5}},
		Locations: map[string]*time.Location{"pbx1": loc("Asia/Tehran"), "ipex": loc("Europe/Prague"), "sipsim": loc("Europe/Minsk"), "cloud": time.UTC},
	}
}

// scenario builds the events of one source compactly: ids and agents are given without
// the "source:" prefix, times in seconds after t0.
type scenario struct {
	name, src, vendor string
	events            []call.Event
}

type opt func(s *scenario, e *call.Event)

func newScenario(name, src, vendor string) *scenario {
	return &scenario{name: name, src: src, vendor: vendor}
}

func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
func tp(s float64) *time.Time { t := sec(s); return &t }

// ev appends one event at t0+at seconds; callID "" means an agent event.
func (s *scenario) ev(at float64, typ call.Type, callID string, opts ...opt) *scenario {
	e := call.Event{Source: s.src, Vendor: s.vendor, Name: string(typ), Type: typ, At: sec(at), ReceivedAt: sec(at + 0.05)}
	if callID != "" {
		e.Call = s.src + ":" + callID
	}
	for _, o := range opts {
		o(s, &e)
	}
	s.events = append(s.events, e)
	return s
}

func (s *scenario) id(v string) string { return s.src + ":" + v }

// source switches the source of the events that follow.
func (s *scenario) source(src, vendor string) *scenario {
	s.src, s.vendor = src, vendor
	return s
}

func agent(a string, aliases ...string) opt {
	return func(s *scenario, e *call.Event) {
		e.Agent = s.id(a)
		for _, x := range aliases {
			e.AgentAliases = append(e.AgentAliases, s.id(x))
		}
	}
}
func queue(q string) opt            { return func(s *scenario, e *call.Event) { e.Queue = s.id(q) } }
func from(n string) opt             { return func(_ *scenario, e *call.Event) { e.From = n } }
func to(n string) opt               { return func(_ *scenario, e *call.Event) { e.To = n } }
func did(n string) opt              { return func(_ *scenario, e *call.Event) { e.DID = n } }
func dir(d call.Direction) opt      { return func(_ *scenario, e *call.Event) { e.Direction = d } }
func name(n string) opt             { return func(_ *scenario, e *call.Event) { e.Name = n } }
func state(st call.AgentStatus) opt { return func(_ *scenario, e *call.Event) { e.AgentState = st } }
func pause(r string) opt            { return func(_ *scenario, e *call.Event) { e.PauseReason = r } }
func outcome(o call.Outcome) opt {
	return func(_ *scenario, e *call.Event) { e.Outcome = o }
}
func disp(d call.Disposition) opt { return func(_ *scenario, e *call.Event) { e.Disposition = d } }
func reason(r string) opt         { return func(_ *scenario, e *call.Event) { e.HangupReason = r } }
func wait(v float64) opt          { return func(_ *scenario, e *call.Event) { e.WaitS = call.F(v) } }
func talk(v float64) opt          { return func(_ *scenario, e *call.Event) { e.TalkS = call.F(v) } }
func dur(v float64) opt           { return func(_ *scenario, e *call.Event) { e.DurationS = call.F(v) } }
func started(v float64) opt {
	return func(_ *scenario, e *call.Event) { e.StartedAt = tp(v) }
}
func answeredAt(v float64) opt {
	return func(_ *scenario, e *call.Event) { e.AnsweredAt = tp(v) }
}
func endedAt(v float64) opt { return func(_ *scenario, e *call.Event) { e.EndedAt = tp(v) } }
func rec(refs ...string) opt {
	return func(_ *scenario, e *call.Event) { e.Recordings = append(e.Recordings, refs...) }
}
func agentName(n string) opt { return func(_ *scenario, e *call.Event) { e.AgentName = n } }
func transfer(from, to string) opt {
	return func(_ *scenario, e *call.Event) { e.TransferFrom, e.TransferTo = from, to }
}
func rating(r string) opt { return func(_ *scenario, e *call.Event) { e.Rating = r } }

// leg is a record's leg: agent and outcome, optionally talk seconds.
func leg(a string, out call.Outcome, talkS ...float64) opt {
	return func(s *scenario, e *call.Event) {
		l := call.Leg{Agent: s.id(a), Outcome: out}
		if len(talkS) > 0 {
			l.TalkS = call.F(talkS[0])
		}
		e.Legs = append(e.Legs, l)
	}
}
func contact(c call.Contact) opt { return func(_ *scenario, e *call.Event) { e.Contact = &c } }
func tags(kv ...string) opt {
	return func(_ *scenario, e *call.Event) {
		e.Tags = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Tags[kv[i]] = kv[i+1]
		}
	}
}

// play applies events to a fresh board and returns it with every change.
func play(evs []call.Event) (*Board, []Change) {
	b := New(testConfig())
	var chs []Change
	for _, e := range evs {
		chs = append(chs, b.Apply(e)...)
	}
	return b, chs
}

// boardState is everything the board shows, for golden files and convergence checks.
type boardState struct {
	Calls  []call.Call  `json:"calls"`  // every call the events name, active or ended
	Active []string     `json:"active"` // Calls(), in its order
	Agents []call.Agent `json:"agents"`
	Queues []call.Queue `json:"queues"`
}

func dump(t testing.TB, b *Board, evs []call.Event) string {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range evs {
		if e.Call != "" {
			ids[e.Call] = true
		}
	}
	st := boardState{Active: []string{}}
	for _, id := range sortedKeys(ids) {
		if c, ok := b.Call(id); ok {
			st.Calls = append(st.Calls, c)
		}
	}
	for _, c := range b.Calls() {
		st.Active = append(st.Active, c.ID)
	}
	st.Agents = b.Agents()
	st.Queues = b.Queues(now)
	out, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// golden compares got with testdata/name.golden.json (-update writes it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != got+"\n" {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

func callOf(t *testing.T, b *Board, id string) call.Call {
	t.Helper()
	c, ok := b.Call(id)
	if !ok {
		t.Fatalf("call %s not on the board", id)
	}
	return c
}

func agentOf(t *testing.T, b *Board, id string) call.Agent {
	t.Helper()
	a, ok := b.Agent(id)
	if !ok {
		t.Fatalf("agent %s not on the board", id)
	}
	return a
}

func queueOf(t *testing.T, b *Board, id string) call.Queue {
	t.Helper()
	for _, q := range b.Queues(now) {
		if q.ID == id {
			return q
		}
	}
	t.Fatalf("queue %s not on the board", id)
	return call.Queue{}
}

func num(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func tval(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}

func legSummary(c call.Call) []string {
	var out []string
	for _, l := range c.Legs {
		out = append(out, l.Agent+"="+string(l.Outcome))
	}
	return out
}
