package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
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

func compactJSON(t *testing.T, raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

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
