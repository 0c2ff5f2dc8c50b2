package server

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"ringside/server/config"
	"ringside/server/ingest/ingesttest"
)

// Queue and presence scenarios written from the vendors' documented payloads (Simotel
// Event API fields, VOIPEX's webhook example, SipSim's worked department example), not
// from the simulator. Each "look" records /api/v1/queues, /api/v1/agents and the
// wallboard's summary strip, queue tiles and agent rows as text, in
// testdata/queues/NAME.json (-update rewrites).

type queueLook struct {
	Label     string          `json:"label"`
	At        time.Time       `json:"at"`
	Queues    json.RawMessage `json:"queues"`
	Agents    json.RawMessage `json:"agents"`
	Wallboard []string        `json:"wallboard"`
}

type queueScenario struct {
	*scenarioEnv
	cookie *http.Cookie
	looks  []queueLook
}

func startQueueScenario(t *testing.T, edit func(*config.Config)) *queueScenario {
	cfg := scenarioConfig(t)
	if edit != nil {
		edit(cfg)
	}
	e := startClocked(t, cfg)
	return &queueScenario{scenarioEnv: e, cookie: e.formLogin("admin", "adminpw")}
}

// post delivers a vendor's JSON body to /hooks/{src}[/{event}] at time at.
func (q *queueScenario) post(at time.Time, target, body string) {
	q.t.Helper()
	q.clk.set(at)
	req, err := http.NewRequest("POST", q.url+target, strings.NewReader(body))
	if err != nil {
		q.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	src, _ := q.cfg.Source(strings.Split(strings.TrimPrefix(target, "/hooks/"), "/")[0])
	q.authorize(req, src, []byte(body))
	if code, answer := q.do(req); code != 200 {
		q.t.Fatalf("POST %s: %d %s", target, code, answer)
	}
}

// fixture delivers one of the decoders' fixture requests at time at.
func (q *queueScenario) fixture(at time.Time, path string) {
	q.t.Helper()
	raw, err := ingesttest.ReadRaw(path)
	if err != nil {
		q.t.Fatal(err)
	}
	q.clk.set(at)
	req, err := http.NewRequest(raw.Method, q.url+raw.Target, bytes.NewReader(raw.Body))
	if err != nil {
		q.t.Fatal(err)
	}
	for k, v := range raw.Header {
		req.Header[k] = v
	}
	src, _ := q.cfg.Source(raw.Source())
	q.authorize(req, src, raw.Body)
	if src.SigningSecret != "" { // signed at the server's (test) clock
		ts := strconv.FormatInt(at.Unix(), 10)
		req.Header.Set("X-Webhook-Timestamp", ts)
		req.Header.Set("X-Webhook-Signature", hex.EncodeToString(Sign(src.SigningSecret, ts, raw.Body)))
	}
	if code, answer := q.do(req); code != 200 {
		q.t.Fatalf("%s: %d %s", path, code, answer)
	}
}

// look records the API's and the wallboard's picture at time at.
func (q *queueScenario) look(label string, at time.Time) queueLook {
	q.t.Helper()
	q.settle()
	q.clk.set(at)
	l := queueLook{Label: label, At: at, Queues: q.get("/api/v1/queues"), Agents: q.get("/api/v1/agents")}
	req, _ := http.NewRequest("GET", q.url+"/wallboard", nil)
	req.AddCookie(q.cookie)
	code, page := q.do(req)
	if code != 200 {
		q.t.Fatalf("GET /wallboard: %d", code)
	}
	for _, id := range []string{"summary", "queue-tiles", "agent-rows"} {
		l.Wallboard = append(l.Wallboard, fragmentLines(q.t, page, id)...)
	}
	q.looks = append(q.looks, l)
	return l
}

// check compares the looks with the golden file.
func (q *queueScenario) check(name string) {
	q.t.Helper()
	got := indentJSON(q.looks)
	path := filepath.Join("testdata", "queues", name+".json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			q.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		q.t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		q.t.Errorf("%s differs from %s:\n%s", name, path, firstLineDiff(want, got))
	}
}

// fragmentLines is the text of each element child of the element with the id, with
// its whitespace collapsed: one line per KPI, tile or agent row.
func fragmentLines(t *testing.T, page, id string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	n := findID(doc, id)
	if n == nil {
		t.Fatalf("the wallboard has no #%s", id)
	}
	var out []string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		var b strings.Builder
		textOf(c, &b)
		if s := strings.Join(strings.Fields(b.String()), " "); s != "" {
			out = append(out, "#"+id+": "+s)
		}
	}
	return out
}

func findID(n *html.Node, id string) *html.Node {
	for _, a := range n.Attr {
		if a.Key == "id" && a.Val == id {
			return n
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findID(c, id); f != nil {
			return f
		}
	}
	return nil
}

func textOf(n *html.Node, b *strings.Builder) {
	if n.Type == html.TextNode {
		b.WriteString(n.Data)
		b.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		textOf(c, b)
	}
}

// queueOfLook finds a queue in a look's /api/v1/queues.
func queueOfLook(t *testing.T, l queueLook, id string) (q struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	Waiting      int            `json:"waiting"`
	LongestWaitS float64        `json:"longest_wait_s"`
	Agents       map[string]int `json:"agents"`
	Unqueued     bool           `json:"unqueued"`
	Today        struct {
		Offered, Answered, Abandoned int
		ServiceLevelPct              float64 `json:"service_level_pct"`
	} `json:"today"`
}) {
	t.Helper()
	var qs []json.RawMessage
	json.Unmarshal(l.Queues, &qs)
	for _, raw := range qs {
		json.Unmarshal(raw, &q)
		if q.ID == id {
			return q
		}
	}
	t.Fatalf("%s: no queue %s in %s", l.Label, id, l.Queues)
	return q
}

type lookAgent struct {
	ID          string            `json:"id"`
	State       string            `json:"state"`
	PauseReason string            `json:"pause_reason"`
	QueueStates map[string]string `json:"queue_states"`
}

func agentOfLook(t *testing.T, l queueLook, id string) lookAgent {
	t.Helper()
	var as []lookAgent
	json.Unmarshal(l.Agents, &as)
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("%s: no agent %s in %s", l.Label, id, l.Agents)
	return lookAgent{}
}

func wallboardHas(l queueLook, text string) bool {
	for _, line := range l.Wallboard {
		if strings.Contains(line, text) {
			return true
		}
	}
	return false
}
