package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/server/sim"
)

// End-to-end scenarios: simulator stories rendered in each vendor's wire format, posted
// over HTTP to a real server (real bbolt file), read back through the JSON API.

var update = flag.Bool("update", false, "rewrite testdata/scenarios/*.json")

const storySec = time.Second

// storyT0 is 09:00 UTC: 12:30 in Tehran, 10:00 in Prague, 12:00 in Minsk, so every story of
// the day falls on the same local date in every source's zone.
var storyT0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// testClock is the server's clock in these tests. Simotel's and VOIPEX's live events carry no
// time, so the receive time is their event time; and "today" of the queues is the
// server's date. Driving it from the story makes every time in the goldens fixed.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *testClock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }

// scenarioEnv is a real server (startEnv's) whose clock the test drives, with its own HTTP
// client, closed before the server shuts down so shutdown need not wait for it.
type scenarioEnv struct {
	*testEnv
	clk    *testClock
	client *http.Client
}

// startClocked is startEnv with the server reading a clock the test sets.
func startClocked(t *testing.T, cfg *config.Config) *scenarioEnv {
	t.Helper()
	clk := &testClock{}
	clk.set(storyT0)
	e := &scenarioEnv{
		testEnv: startEnvWith(t, cfg, func(srv *Server) { srv.now = clk.now }), // before the first request can read it
		clk:     clk,
		client:  &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second},
	}
	t.Cleanup(e.client.CloseIdleConnections)
	return e
}

func (e *scenarioEnv) do(req *http.Request) (int, string) {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// cheapHash is a bcrypt hash of "adminpw" at the lowest cost: the default cost takes
// a tenth of a second per server start, and these tests start many.
var cheapHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte("adminpw"), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// scenarioConfig is testConfig with one directory person who has an identity on every
// source; the other agents stay "source:identity".
func scenarioConfig(t *testing.T) *config.Config {
	cfg := testConfig(t)
	cfg.Users = []config.User{{Name: "admin", PasswordHash: cheapHash(), Role: "admin", APIKey: "admin-key"}}
	cfg.Agents = []config.Agent{{ID: "petr", Name: "Petr Novák",
		Match: []string{"pbx1:991", "ipex:petr.novak", "cloud:991", "sipsim:+375290000001"}}}
	return cfg
}

// simSource is the configured source as the simulator plays it, credentials included.
func simSource(t *testing.T, cfg *config.Config, name, variant string) sim.Source {
	t.Helper()
	s, ok := cfg.Source(name)
	if !ok {
		t.Fatalf("no source %s", name)
	}
	loc := s.Location
	if loc == nil { // config.Check not run yet
		loc, _ = time.LoadLocation(s.Timezone)
	}
	return sim.Source{Name: s.Name, Vendor: s.Vendor, Username: s.Username, Password: s.Password, Token: s.Token,
		SigningSecret: s.SigningSecret, Location: loc, KeyMap: s.KeyMap, Variant: variant}
}

// vendorStyle is how a vendor's stories are numbered: its source, caller numbers, the
// number dialed and the queue (a SipSim queue is the department number).
type vendorStyle struct{ source, caller, callee, did, queue string }

var vendorStyles = map[string]vendorStyle{
	"simotel":  {"pbx1", "09121234567", "09359876543", "02191305588", "900"},
	"voipex":   {"ipex", "777888999", "602111222", "222333444", "NOC"},
	"cloudcdr": {"cloud", "+447700900123", "+442079460456", "+441614960000", "Support"},
	"sipsim":   {"sipsim", "+375331112233", "+375291234567", "+375172000100", "+375172000100"},
}

var (
	simPetr  = sim.Agent{Ext: "991", Login: "petr.novak", Email: "petr.novak@jehofirma.cz", Name: "Petr Novák", Number: "+375290000001"}
	simJana  = sim.Agent{Ext: "992", Login: "jana.dvorakova", Email: "jana.dvorakova@jehofirma.cz", Name: "Jana Dvořáková", Number: "+375290000002"}
	simTomas = sim.Agent{Ext: "993", Login: "tomas.cerny", Email: "tomas.cerny@jehofirma.cz", Name: "Tomáš Černý", Number: "+375290000003"}
)

// story is a hand-written story of one kind on a vendor's source, call id "{start}.{n}".
// VOIPEX queues ring all free agents at once; the others ring a linear chain.
func story(vendor string, kind sim.Kind, n int, start time.Time) sim.Story {
	v := vendorStyles[vendor]
	st := sim.Story{Kind: kind, Source: v.source, ID: fmt.Sprintf("%d.%d", start.Unix(), n), Start: start,
		Caller: v.caller, DID: v.did, Queue: v.queue, RecordLag: storySec}
	if vendor == "cloudcdr" {
		st.RecordLag = 5 * storySec
	}
	ringAll := vendor == "voipex"
	switch kind {
	case sim.QueueAnswered, sim.RecordOnly:
		st.Chain = []sim.Attempt{attempt(simPetr, 2, 3, call.OutcomeBusy), attempt(simJana, 3, 18, call.OutcomeNoAnswer), attempt(simTomas, 19, 25, call.OutcomeAnswer)}
		if ringAll {
			st.Chain = []sim.Attempt{attempt(simPetr, 2, 3, call.OutcomeBusy), attempt(simJana, 2, 25, call.OutcomeCancel), attempt(simTomas, 2, 25, call.OutcomeAnswer)}
		}
		st.Agent, st.Answered, st.Answer, st.End, st.Recorded = simTomas, true, 25*storySec, 125*storySec, true
		st.Contact = &sim.Contact{Title: "Mrs", Name: "Jane Example", Company: "Example Ltd", JobTitle: "CTO", Email: "jane@example.com", CRMID: "0035g00000XyZ12AAB"}
		st.Tags = map[string]string{"Support": "step1"}
		if kind == sim.RecordOnly {
			st.Of = sim.QueueAnswered
		}
	case sim.Missed:
		st.Chain = []sim.Attempt{attempt(simPetr, 2, 17, call.OutcomeNoAnswer), attempt(simJana, 18, 40, call.OutcomeCancel)}
		if ringAll {
			st.Chain = []sim.Attempt{attempt(simPetr, 2, 40, call.OutcomeCancel), attempt(simJana, 2, 40, call.OutcomeCancel)}
		}
		st.End = 40 * storySec
	case sim.AllBusy:
		st.Chain = []sim.Attempt{attempt(simPetr, 2, 3, call.OutcomeBusy), attempt(simJana, 3, 4, call.OutcomeUnavailable)}
		st.End = 30 * storySec
	case sim.Transfer:
		st.Chain = []sim.Attempt{attempt(simTomas, 2, 8, call.OutcomeAnswer)}
		st.Agent, st.Answered, st.Answer, st.End, st.Recorded = simTomas, true, 8*storySec, 150*storySec, true
		b := simJana
		st.TransferTo, st.TransferAt = &b, 60*storySec
	case sim.Outbound:
		st.Queue, st.Caller = "", v.callee
		st.Agent, st.Answered, st.Answer, st.End, st.Recorded = simPetr, true, 10*storySec, 70*storySec, true
	case sim.AgentLogin, sim.AgentLogout, sim.AgentUnpause:
		st.Agent = simPetr
	case sim.AgentPause:
		st.Agent, st.PauseReason = simPetr, map[string]string{"simotel": "ناهار", "voipex": "Oběd"}[vendor]
	}
	return st
}

// attempt is one agent offered the call, from start to end seconds into the story.
func attempt(a sim.Agent, start, end int, outcome call.Outcome) sim.Attempt {
	return sim.Attempt{Agent: a, Start: time.Duration(start) * storySec, End: time.Duration(end) * storySec, Outcome: outcome}
}

// scenario is the stories one golden file tells: an agent action comes after what it
// changes (a pause after a login), a minute apart.
func scenario(vendor string, kind sim.Kind) []sim.Story {
	var kinds []sim.Kind
	switch kind {
	case sim.AgentPause, sim.AgentLogout:
		kinds = []sim.Kind{sim.AgentLogin, kind}
	case sim.AgentUnpause:
		kinds = []sim.Kind{sim.AgentLogin, sim.AgentPause, kind}
	default:
		kinds = []sim.Kind{kind}
	}
	var out []sim.Story
	for i, k := range kinds {
		out = append(out, story(vendor, k, 101+i, storyT0.Add(time.Duration(i)*time.Minute)))
	}
	return out
}

// storyCheckpoints are the story offsets where a golden file also looks at the live picture.
var storyCheckpoints = map[sim.Kind][]time.Duration{
	sim.QueueAnswered: {10 * storySec, 60 * storySec},
	sim.Missed:        {10 * storySec},
	sim.AllBusy:       {10 * storySec},
	sim.Transfer:      {30 * storySec, 90 * storySec},
	sim.Outbound:      {5 * storySec, 30 * storySec},
}

// timedDelivery is a delivery with its source and absolute sending time.
type timedDelivery struct {
	src sim.Source
	at  time.Time
	d   sim.Delivery
}

// renderAll renders the stories on src, merged in sending order.
func renderAll(src sim.Source, stories ...sim.Story) []timedDelivery {
	var out []timedDelivery
	for _, st := range stories {
		for _, d := range sim.Render(src, st) {
			out = append(out, timedDelivery{src, st.Start.Add(d.At), d})
		}
	}
	slices.SortStableFunc(out, func(a, b timedDelivery) int { return a.at.Compare(b.at) })
	return out
}

// storyCallID is the id Ringside gives a story's call.
func storyCallID(src sim.Source, st sim.Story) string {
	if src.Vendor == "cloudcdr" {
		return src.Name + ":" + sim.CloudCDRSessionID(src, st)
	}
	return src.Name + ":" + st.ID
}

// deliver posts one delivery as its PBX would at its time (the server's clock is set to
// it) and requires the webhook's success answer.
func (e *scenarioEnv) deliver(td timedDelivery) {
	e.t.Helper()
	e.clk.set(td.at)
	req, err := http.NewRequest(td.d.Method, e.url+td.d.Target, bytes.NewReader(td.d.Body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, vs := range td.d.Header {
		req.Header[k] = slices.Clone(vs)
	}
	sim.Authorize(req.Header, td.src, td.d.Body, td.at)
	if code, body := e.do(req); code != 200 || body != `{"success":1,"message":""}` {
		e.t.Fatalf("%s %s: %d %s\n%s", td.d.Method, td.d.Target, code, body, td.d)
	}
}

// settle waits until the board has applied everything the store committed, and has
// stored the CDRs of the calls that ended.
func (e *scenarioEnv) settle() {
	e.t.Helper()
	want := e.st.LastSeq()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		var got uint64
		e.srv.board.read(func(*live.Board) { got = e.srv.board.applied })
		if got >= want {
			e.srv.board.cdrs.flush()
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("board applied seq %d, store is at %d", got, want)
		}
	}
}

// barrier posts a delivery no board fact comes of (an unknown Simotel event) and waits
// until it is applied and the CDRs are stored: every CDR of what came before is then in
// the store.
func (e *scenarioEnv) barrier() {
	e.t.Helper()
	src := simSource(e.t, e.cfg, "pbx1", "")
	body := []byte(fmt.Sprintf(`{"event_name":"TestBarrier","n":%d}`, e.st.LastSeq()))
	e.deliver(timedDelivery{src: src, at: e.clk.now(), d: sim.Delivery{Method: "POST", Target: "/hooks/pbx1",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: body}})
	e.settle()
}

// api calls the JSON API with the admin's API key (Basic costs a bcrypt check on a
// server's first request) and returns the status and the envelope's data.
func (e *scenarioEnv) api(method, path string, body any) (int, json.RawMessage) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("X-APIKEY", "admin-key")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	code, text := e.do(req)
	var answer struct {
		Success int             `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(text), &answer); err != nil {
		e.t.Fatalf("%s %s: %d, not an envelope: %s", method, path, code, text)
	}
	if (code == 200) != (answer.Success == 1) {
		e.t.Fatalf("%s %s: %d with success %d", method, path, code, answer.Success)
	}
	return code, answer.Data
}

func (e *scenarioEnv) get(path string) json.RawMessage {
	e.t.Helper()
	code, data := e.api("GET", path, nil)
	if code != 200 {
		e.t.Fatalf("GET %s: %d", path, code)
	}
	return data
}

// callView is GET /api/v1/calls/{id} with its timeline cut to "name type agent" lines
// (the events' times and payloads are the decoders' business, tested there).
type callView struct {
	Call     json.RawMessage `json:"call"`
	Timeline []string        `json:"timeline"`
}

func (e *scenarioEnv) callView(id string) *callView {
	e.t.Helper()
	code, data := e.api("GET", "/api/v1/calls/"+id, nil)
	if code == 404 {
		return nil
	}
	if code != 200 {
		e.t.Fatalf("GET call %s: %d", id, code)
	}
	var c call.Call
	if err := json.Unmarshal(data, &c); err != nil {
		e.t.Fatal(err)
	}
	v := &callView{Timeline: []string{}}
	for _, ev := range c.Events {
		v.Timeline = append(v.Timeline, strings.TrimSpace(ev.Name+" "+string(ev.Type)+" "+ev.Agent))
	}
	c.Events = nil
	v.Call, _ = json.Marshal(c)
	// The round trip through call.Call must not lose a field the API sent.
	var sent, kept map[string]any
	json.Unmarshal(data, &sent)
	json.Unmarshal(v.Call, &kept)
	delete(sent, "events")
	if a, b := jsonText(sent), jsonText(kept); a != b {
		e.t.Fatalf("call %s does not survive a round trip through call.Call:\n%s\n%s", id, a, b)
	}
	return v
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// boardView is what the API shows at one moment.
type boardView struct {
	AtS    float64         `json:"at_s"` // seconds after the scenario's start
	Call   *callView       `json:"call"`
	Active []string        `json:"active_calls"` // GET /api/v1/calls: id state
	Agents json.RawMessage `json:"agents"`
	Queues json.RawMessage `json:"queues"`
}

func (e *scenarioEnv) look(at time.Time, id string) boardView {
	e.t.Helper()
	e.settle()
	e.clk.set(at)
	v := boardView{AtS: at.Sub(storyT0).Seconds(), Active: []string{}}
	if id != "" {
		v.Call = e.callView(id)
	}
	var active []call.Call
	if err := json.Unmarshal(e.get("/api/v1/calls"), &active); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range active {
		v.Active = append(v.Active, c.ID+" "+c.State)
	}
	v.Agents, v.Queues = e.get("/api/v1/agents"), e.get("/api/v1/queues")
	return v
}

// scenarioGolden is one scenario's file in testdata/scenarios.
type scenarioGolden struct {
	Vendor      string      `json:"vendor"`
	Story       sim.Kind    `json:"story"`
	Source      string      `json:"source"`
	Variants    []string    `json:"variants"` // every transport variant gives this same file
	Deliveries  int         `json:"deliveries"`
	Checkpoints []boardView `json:"checkpoints,omitempty"`
	Final       boardView   `json:"final"` // an hour after the start: every call is over
}

// playScenario runs one scenario on a fresh server in one transport variant.
func playScenario(t *testing.T, vendor string, kind sim.Kind, variant string) scenarioGolden {
	cfg := scenarioConfig(t)
	e := startClocked(t, cfg)
	src := simSource(t, cfg, vendorStyles[vendor].source, variant)
	stories := scenario(vendor, kind)
	main := stories[len(stories)-1]
	id := ""
	if main.IsCall() {
		id = storyCallID(src, main)
	}
	ds := renderAll(src, stories...)
	g := scenarioGolden{Vendor: vendor, Story: kind, Source: src.Name, Variants: sim.Variants(vendor), Deliveries: len(ds)}
	next := 0
	if vendor != "cloudcdr" { // cloudcdr only reports finished calls: nothing live to look at
		for _, cp := range storyCheckpoints[kind] {
			at := main.Start.Add(cp)
			for ; next < len(ds) && !ds[next].at.After(at); next++ {
				e.deliver(ds[next])
			}
			g.Checkpoints = append(g.Checkpoints, e.look(at, id))
		}
	}
	for ; next < len(ds); next++ {
		e.deliver(ds[next])
	}
	g.Final = e.look(storyT0.Add(time.Hour), id)
	return g
}

func indentJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// firstLineDiff shows where two texts part.
func firstLineDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, x, y)
		}
	}
	return "no difference"
}

// TestScenarios plays every story kind on every vendor through HTTP and compares the
// call, agents and queues the API shows with testdata/scenarios/{vendor}-{story}.json
// (-update writes them). Every transport variant of a vendor must give the same file.
func TestScenarios(t *testing.T) {
	for _, vendor := range sim.Vendors() {
		for _, kind := range sim.Kinds {
			name := vendor + "-" + string(kind)
			t.Run(name, func(t *testing.T) {
				cfg := scenarioConfig(t)
				if len(renderAll(simSource(t, cfg, vendorStyles[vendor].source, ""), scenario(vendor, kind)...)) == 0 {
					if main := scenario(vendor, kind)[0]; main.IsCall() {
						t.Fatalf("%s renders nothing for a call", vendor)
					}
					t.Skipf("%s has no agent events", vendor)
				}
				vs := sim.Variants(vendor)
				g := playScenario(t, vendor, kind, vs[0])
				got := indentJSON(g)
				path := filepath.Join("testdata", "scenarios", name+".json")
				if *update {
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				} else if want, err := os.ReadFile(path); err != nil {
					t.Fatalf("%v (run with -update to write it)", err)
				} else if !bytes.Equal(want, got) {
					t.Errorf("%s differs from the golden, %s", vs[0], firstLineDiff(want, got))
				}
				for _, v := range vs[1:] {
					if other := indentJSON(playScenario(t, vendor, kind, v)); !bytes.Equal(other, got) {
						t.Errorf("variant %s differs from %s, %s", v, vs[0], firstLineDiff(got, other))
					}
				}
			})
		}
	}
}

// callKinds are the story kinds that are calls.
var callKinds = []sim.Kind{sim.QueueAnswered, sim.Missed, sim.AllBusy, sim.Transfer, sim.Outbound, sim.RecordOnly}

// playedStory is a story as played, with the call id Ringside gives it.
type playedStory struct {
	vendor string
	st     sim.Story
	id     string
	end    time.Time // when the call ended, by the story
}

// cdrPage is the data of POST /api/v1/cdrs/search.
type cdrPage struct {
	Pagination struct {
		Start, Count, Total int
		Sorting             map[string]int
	} `json:"pagination"`
	Data []json.RawMessage `json:"data"`
}

func (e *scenarioEnv) searchCDRs(req map[string]any) cdrPage {
	e.t.Helper()
	code, data := e.api("POST", "/api/v1/cdrs/search", req)
	if code != 200 {
		e.t.Fatalf("search %v: %d %s", req, code, data)
	}
	var p cdrPage
	if err := json.Unmarshal(data, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func pageIDs(t *testing.T, p cdrPage) []string {
	var ids []string
	for _, raw := range p.Data {
		var c struct{ ID string }
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// TestCDRSearch plays every call kind of every vendor on one server, a minute apart and
// each with its own numbers, then searches the stored CDRs by every condition.
func TestCDRSearch(t *testing.T) {
	cfg := scenarioConfig(t)
	e := startClocked(t, cfg)
	var all []playedStory
	var ds []timedDelivery
	n := 0
	for vi, vendor := range sim.Vendors() {
		src := simSource(t, cfg, vendorStyles[vendor].source, sim.VariantMix)
		for ki, kind := range callKinds {
			if vendor == "voipex" && kind == sim.RecordOnly {
				continue // a VOIPEX CDR alone has no time to sort by: TestRecordAloneHasTimes
			}
			st := story(vendor, kind, 101+n, storyT0.Add(time.Duration(n)*time.Minute))
			n++
			switch kind { // qa and missed share the vendor's caller; the rest have their own
			case sim.AllBusy, sim.Transfer, sim.RecordOnly:
				st.Caller = st.Caller[:len(st.Caller)-2] + fmt.Sprint(vi, ki)
			}
			all = append(all, playedStory{vendor, st, storyCallID(src, st), st.Start.Add(st.End)})
			ds = append(ds, renderAll(src, st)...)
		}
	}
	slices.SortStableFunc(ds, func(a, b timedDelivery) int { return a.at.Compare(b.at) })
	for _, d := range ds {
		e.deliver(d)
	}
	e.barrier()
	e.clk.set(storyT0.Add(2 * time.Hour))

	// Newest first by the end of the call.
	byEnd := slices.Clone(all)
	slices.SortStableFunc(byEnd, func(a, b playedStory) int { return b.end.Compare(a.end) })
	for i := 1; i < len(byEnd); i++ {
		if byEnd[i].end.Equal(byEnd[i-1].end) {
			t.Fatalf("stories %s and %s end at the same time: the order would be ambiguous", byEnd[i].id, byEnd[i-1].id)
		}
	}
	ids := func(ps []playedStory) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.id)
		}
		return out
	}
	where := func(f func(p playedStory) bool) []string {
		var out []playedStory
		for _, p := range byEnd {
			if f(p) {
				out = append(out, p)
			}
		}
		return ids(out)
	}

	// Every CDR is the call as GET /api/v1/calls/{id} shows it, without its timeline.
	full := e.searchCDRs(map[string]any{"pagination": map[string]any{"count": 100}})
	if got, want := pageIDs(t, full), ids(byEnd); !slices.Equal(got, want) {
		t.Fatalf("all CDRs, newest first:\n got  %v\n want %v", got, want)
	}
	if full.Pagination.Total != len(all) || full.Pagination.Sorting["ended_at"] != -1 {
		t.Errorf("pagination %+v, want total %d sorted by ended_at -1", full.Pagination, len(all))
	}
	calls := map[string]call.Call{}
	for i, raw := range full.Data {
		id := byEnd[i].id
		if v := e.callView(id); v == nil || string(v.Call) != compactJSON(t, raw) {
			t.Errorf("CDR %s differs from the call:\n cdr  %s\n call %s", id, compactJSON(t, raw), v.Call)
		}
		var c call.Call
		json.Unmarshal(raw, &c)
		calls[id] = c
		if c.State != call.StateEnded || c.EndedAt == nil || !c.EndedAt.Equal(byEnd[i].end) {
			t.Errorf("CDR %s: state %s, ended at %v, want ended at %s", id, c.State, c.EndedAt, byEnd[i].end)
		}
	}

	// Oldest first, and pages of 5 that add up to the whole list.
	asc := e.searchCDRs(map[string]any{"pagination": map[string]any{"count": 100, "sorting": map[string]int{"ended_at": 1}}})
	oldest := ids(byEnd)
	slices.Reverse(oldest)
	if got := pageIDs(t, asc); !slices.Equal(got, oldest) {
		t.Errorf("oldest first: %v", got)
	}
	var paged []string
	for start := 0; start < len(all)+5; start += 5 {
		p := e.searchCDRs(map[string]any{"pagination": map[string]any{"start": start, "count": 5}})
		if p.Pagination.Total != len(all) || p.Pagination.Start != start || p.Pagination.Count != 5 {
			t.Errorf("page at %d: %+v", start, p.Pagination)
		}
		if want := min(5, max(0, len(all)-start)); len(p.Data) != want {
			t.Errorf("page at %d has %d CDRs, want %d", start, len(p.Data), want)
		}
		paged = append(paged, pageIDs(t, p)...)
	}
	if !slices.Equal(paged, ids(byEnd)) {
		t.Errorf("pages of 5 give %v", paged)
	}

	// Each condition, alone and combined, with a second page where there is one.
	from, to := storyT0.Add(6*time.Minute), storyT0.Add(14*time.Minute)
	cases := []struct {
		name  string
		conds map[string]any
		want  []string
	}{
		{"number", map[string]any{"number": "09121234567"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && (p.st.Kind == sim.QueueAnswered || p.st.Kind == sim.Missed)
		})},
		{"number suffix", map[string]any{"number": "9121234567"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && (p.st.Kind == sim.QueueAnswered || p.st.Kind == sim.Missed)
		})},
		{"number as typed", map[string]any{"number": "0912 123"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && p.st.Kind != sim.Outbound // callers 09121234567 and 0912123450 x
		})},
		{"number E.164", map[string]any{"number": "+447700900123"}, where(func(p playedStory) bool {
			// the transfer's caller "+44770090012 3" is the same number with a space in it
			return p.vendor == "cloudcdr" && (p.st.Kind == sim.QueueAnswered || p.st.Kind == sim.Missed || p.st.Kind == sim.Transfer)
		})},
		{"callee of an outbound call", map[string]any{"number": "602111222"}, where(func(p playedStory) bool {
			return p.vendor == "voipex" && p.st.Kind == sim.Outbound
		})},
		{"dialed number", map[string]any{"number": "+375172000100"}, where(func(p playedStory) bool {
			return p.vendor == "sipsim" && p.st.Kind != sim.Outbound
		})},
		{"source", map[string]any{"source": "ipex"}, where(func(p playedStory) bool { return p.vendor == "voipex" })},
		{"direction", map[string]any{"direction": "outbound"}, where(func(p playedStory) bool { return p.st.Kind == sim.Outbound })},
		{"queue", map[string]any{"queue": "pbx1:900"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && p.st.Kind != sim.Outbound
		})},
		{"time range", map[string]any{"from": from, "to": to}, where(func(p playedStory) bool {
			return !p.end.Before(from) && p.end.Before(to)
		})},
		{"source and disposition", map[string]any{"source": "pbx1", "disposition": "answered"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && p.st.Answered
		})},
		{"direction, source and time", map[string]any{"direction": "inbound", "source": "sipsim", "from": from}, where(func(p playedStory) bool {
			return p.vendor == "sipsim" && p.st.Kind != sim.Outbound && !p.end.Before(from)
		})},
		{"nothing", map[string]any{"number": "0000000000"}, nil},
	}
	// Agent and disposition: the calls whose own JSON says so (the answering agent or
	// any leg; what each vendor reports is in the goldens).
	for _, c := range []struct{ field, value string }{{"agent", "petr"}, {"agent", "cloud:993"}, {"disposition", "answered"}, {"disposition", "missed"}, {"disposition", "busy"}} {
		want := where(func(p playedStory) bool {
			cl := calls[p.id]
			if c.field == "disposition" {
				return string(cl.Disposition) == c.value
			}
			found := cl.Agent == c.value
			for _, l := range cl.Legs {
				found = found || l.Agent == c.value
			}
			return found
		})
		cases = append(cases, struct {
			name  string
			conds map[string]any
			want  []string
		}{c.field + " " + c.value, map[string]any{c.field: c.value}, want})
	}
	for _, tc := range cases {
		p := e.searchCDRs(map[string]any{"conditions": tc.conds, "pagination": map[string]any{"count": 3}})
		got := pageIDs(t, p)
		if len(tc.want) > 3 {
			got = append(got, pageIDs(t, e.searchCDRs(map[string]any{"conditions": tc.conds, "pagination": map[string]any{"start": 3, "count": 100}}))...)
		}
		if !slices.Equal(got, tc.want) || p.Pagination.Total != len(tc.want) {
			t.Errorf("%s %v: total %d, %v\n want %d, %v", tc.name, tc.conds, p.Pagination.Total, got, len(tc.want), tc.want)
		}
	}
	// The facts the agent and disposition cases rest on, as the stories tell them.
	for _, p := range all {
		c := calls[p.id]
		if p.st.Kind != sim.RecordOnly && p.st.Answered != (c.Disposition == call.Answered) {
			t.Errorf("%s %s: disposition %s", p.vendor, p.st.Kind, c.Disposition)
		}
		if p.st.Kind == sim.Outbound && p.vendor != "cloudcdr" && c.Agent != "petr" {
			t.Errorf("%s outbound: agent %q, want petr", p.vendor, c.Agent)
		}
	}
	if code, _ := e.api("POST", "/api/v1/cdrs/search", nil); code != 200 {
		t.Errorf("search without a body: %d", code)
	}
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// propertyStories are overlapping calls and agent actions on one vendor's source. Each
// agent sends at most one presence delivery without a call id: Simotel and VOIPEX send
// those without any time or id, so two equal ones arriving back to back are a retry to
// the server, whatever the vendor meant (the store's keyless dedupe, by design).
func propertyStories(vendor string) []sim.Story {
	at := func(s int) time.Time { return storyT0.Add(time.Duration(s) * storySec) }
	sts := []sim.Story{
		story(vendor, sim.QueueAnswered, 101, at(0)),
		story(vendor, sim.Missed, 102, at(20)),
		story(vendor, sim.Transfer, 103, at(40)),
		story(vendor, sim.Outbound, 104, at(60)),
		story(vendor, sim.AllBusy, 105, at(80)),
	}
	if vendor == "simotel" || vendor == "voipex" {
		login, pause := story(vendor, sim.AgentLogin, 106, at(10)), story(vendor, sim.AgentPause, 107, at(100))
		login.Agent, pause.Agent = simJana, simTomas
		sts = append(sts, login, pause)
	}
	return sts
}

// convergence is everything a run converges to: the calls, the active list, the agents, the
// queues at one instant, and the stored CDRs.
type convergence struct {
	Calls  map[string]json.RawMessage
	Active json.RawMessage
	Agents json.RawMessage
	Queues json.RawMessage
	CDRs   json.RawMessage
}

func playProperty(t *testing.T, vendor string, ds []timedDelivery, ids []string) convergence {
	e := startClocked(t, scenarioConfig(t))
	for _, d := range ds {
		e.deliver(d)
	}
	e.barrier()
	e.clk.set(storyT0.Add(time.Hour))
	o := convergence{Calls: map[string]json.RawMessage{}, Active: e.get("/api/v1/calls"),
		Agents: e.get("/api/v1/agents"), Queues: e.get("/api/v1/queues")}
	for _, id := range ids {
		v := e.callView(id)
		if v == nil {
			t.Fatalf("call %s missing", id)
		}
		o.Calls[id] = v.Call
	}
	_, o.CDRs = e.api("POST", "/api/v1/cdrs/search", map[string]any{"pagination": map[string]any{"count": 100}})
	return o
}

// TestShuffledRetriedDeliveriesConverge posts each vendor's overlapping stories in time
// order, then shuffled with retries (seeded), each run on a fresh server: the calls,
// agents, queues (today's counters included) and CDRs must come out the same.
//
// A delivery keeps its own receive time wherever it lands in the order (the server's
// clock is set to it): Simotel's and VOIPEX's live events carry no time, so a vendor
// reordering them in flight changes the facts themselves, which no server can undo.
// Retries arrive 2 s apart (cloudcdr's schedule) on the vendors whose events carry
// their time, and at the original's time on the others for the same reason.
func TestShuffledRetriedDeliveriesConverge(t *testing.T) {
	for _, vendor := range sim.Vendors() {
		t.Run(vendor, func(t *testing.T) {
			cfg := scenarioConfig(t)
			src := simSource(t, cfg, vendorStyles[vendor].source, sim.VariantMix)
			extras := extraStories(vendor, storyT0.Add(3*time.Minute)) // ring round, overflow, barge
			if vendor == "simotel" || vendor == "voipex" {
				// A second ring round repeats the first one's bytes on the vendors whose live
				// events carry no time: delivered before the first round's end, it is that
				// ring's retry to any receiver (the reordering changes the facts).
				extras = extras[1:]
			}
			sts := append(propertyStories(vendor), extras...)
			var ids []string
			for _, st := range sts {
				if st.IsCall() {
					ids = append(ids, storyCallID(src, st))
				}
			}
			ordered := renderAll(src, sts...)
			want := playProperty(t, vendor, ordered, ids)
			for seed := uint64(1); seed <= 3; seed++ {
				r := rand.New(rand.NewPCG(seed, 7))
				shuffled := slices.Clone(ordered)
				r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				// Each delivery keeps its place; a retry (3 in 10 deliveries get one or two)
				// lands anywhere after its original.
				type item struct {
					key float64
					td  timedDelivery
				}
				var items []item
				for i, d := range shuffled {
					items = append(items, item{float64(i), d})
					if r.IntN(10) >= 3 {
						continue
					}
					for n := range 1 + r.IntN(2) {
						retry := d
						if vendor == "sipsim" || vendor == "cloudcdr" {
							retry.at = retry.at.Add(time.Duration(2*(n+1)) * storySec)
						}
						items = append(items, item{float64(i) + 0.5 + r.Float64()*float64(len(shuffled)-i), retry})
					}
				}
				slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.key, b.key) })
				ds := make([]timedDelivery, len(items))
				for i, it := range items {
					ds[i] = it.td
				}
				retries := len(ds) - len(shuffled)
				got := playProperty(t, vendor, ds, ids)
				if a, b := indentJSON(want), indentJSON(got); !bytes.Equal(a, b) {
					t.Errorf("seed %d (%d deliveries, %d retries) does not converge to the ordered run, %s", seed, len(ds), retries, firstLineDiff(a, b))
				}
			}
		})
	}
}

// Known bugs, found by the scenarios above. Each test states what the API should show;
// the goldens record what it shows today.

// playStories renders the stories on a fresh server's source and delivers those sent
// up to until (all when zero).
func playStories(t *testing.T, vendor string, until time.Time, sts ...sim.Story) (*scenarioEnv, sim.Source) {
	cfg := scenarioConfig(t)
	e := startClocked(t, cfg)
	src := simSource(t, cfg, vendorStyles[vendor].source, "")
	for _, d := range renderAll(src, sts...) {
		if until.IsZero() || !d.at.After(until) {
			e.deliver(d)
		}
	}
	e.barrier()
	return e, src
}

func (e *scenarioEnv) call(id string) call.Call {
	e.t.Helper()
	var c call.Call
	if err := json.Unmarshal(e.get("/api/v1/calls/"+id), &c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// A VOIPEX call transferred by AttendedTransfer: the target's only event is the final
// Hangup (and the CDR) naming them. The call's agent becomes the target, yet the leg
// the hangup makes for them is a "cancel" without a start, as if they had been rung and
// lost the race; it should be their answered part of the call, from the transfer on.
func TestTransferTargetLegIsAnswered(t *testing.T) {
	st := story("voipex", sim.Transfer, 101, storyT0)
	e, src := playStories(t, "voipex", time.Time{}, st)
	c := e.call(storyCallID(src, st))
	if c.Agent != "ipex:jana.dvorakova" {
		t.Fatalf("agent %q, want the transfer target", c.Agent)
	}
	var leg *call.Leg
	for i := range c.Legs {
		if c.Legs[i].Agent == c.Agent {
			leg = &c.Legs[i]
		}
	}
	at := storyT0.Add(st.TransferAt)
	if leg == nil || leg.Outcome != call.OutcomeAnswer || leg.StartedAt == nil || !leg.StartedAt.Equal(at) {
		t.Errorf("the transfer target's leg is %s, want outcome answer from the transfer at %s", jsonText(leg), at.Format(time.TimeOnly))
	}
}

// A call known only from SipSim's incoming_call_end (the call's other events lost, or
// a record-only story): the event says when it ended and how long it lasted. The call
// starts at its end (started_at = ended_at) and its wait is 0, which "today" counts as
// answered at once (ASA 0 s, service level met). It started duration_s before its end,
// and the time until its answer is unknown.
func TestEndOnlyCallStartsBeforeItsEnd(t *testing.T) {
	st := story("sipsim", sim.RecordOnly, 101, storyT0)
	e, src := playStories(t, "sipsim", time.Time{}, st)
	c := e.call(storyCallID(src, st))
	if c.StartedAt == nil || !c.StartedAt.Equal(storyT0) {
		t.Errorf("started at %v, want %s (ended %v, %v s long)", c.StartedAt, storyT0, c.EndedAt, *c.DurationS)
	}
	if c.WaitS != nil {
		t.Errorf("wait_s %v for an answered call whose answer time nobody sent", *c.WaitS)
	}
}

// A VOIPEX CDR alone (the live events lost, or a record-only story) carries no time: the
// ended call has neither started_at nor ended_at, so its stored CDR sorts at the zero
// time, after every other call, and no time-range search ever finds it. An ended call
// needs an end time: at worst, when its record arrived.
func TestRecordAloneHasTimes(t *testing.T) {
	st := story("voipex", sim.RecordOnly, 101, storyT0)
	e, src := playStories(t, "voipex", time.Time{}, st)
	id := storyCallID(src, st)
	c := e.call(id)
	if c.State != call.StateEnded || c.EndedAt == nil {
		t.Errorf("%s: state %s, ended_at %v", id, c.State, c.EndedAt)
	}
	p := e.searchCDRs(map[string]any{"conditions": map[string]any{"from": storyT0, "to": storyT0.Add(time.Hour)}})
	if got := pageIDs(t, p); !slices.Equal(got, []string{id}) {
		t.Errorf("the hour of the call finds %v", got)
	}
}

// The timeline of GET /api/v1/calls/{id} is the stored events as they are, recordings
// included: the Simotel file name, the SipSim audio_path URL, the cloudcdr recording id.
// call.Recording says the vendor's reference never leaves the server (recordings are
// played through /recordings/{call}/{n} only).
func TestTimelineKeepsRecordingRefsInside(t *testing.T) {
	for _, vendor := range []string{"simotel", "sipsim", "cloudcdr"} {
		st := story(vendor, sim.QueueAnswered, 101, storyT0)
		e, src := playStories(t, vendor, time.Time{}, st)
		var c call.Call
		if err := json.Unmarshal(e.get("/api/v1/calls/"+storyCallID(src, st)), &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Recordings) == 0 {
			t.Fatalf("%s: no recording", vendor)
		}
		for _, ev := range c.Events {
			if len(ev.Recordings) > 0 {
				t.Errorf("%s: the timeline's %s shows the vendor's recording %q", vendor, ev.Name, ev.Recordings)
			}
		}
	}
}

// An agent placing an outbound call is busy from the moment they dial. VOIPEX (NewCall)
// and SipSim (outgoing_call_start) name them, yet until the callee answers the agent is
// "available" (with no state_since) and counted as available in their queues; Simotel's
// own device state says InUse, which shows on_call, but without the call.
func TestDialingAgentIsOnTheCall(t *testing.T) {
	for _, vendor := range []string{"simotel", "voipex", "sipsim"} {
		st := story(vendor, sim.Outbound, 101, storyT0)
		e, src := playStories(t, vendor, storyT0.Add(5*storySec), st)
		var agents []call.Agent
		json.Unmarshal(e.get("/api/v1/agents"), &agents)
		for _, a := range agents {
			if a.ID == "petr" && (a.State != call.StateOnCall || a.Call != storyCallID(src, st)) {
				t.Errorf("%s: petr dialing out is %s on call %q (since %v), want on_call on %s", vendor, a.State, a.Call, a.StateSince, storyCallID(src, st))
			}
		}
	}
}
