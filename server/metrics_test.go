package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"ringside/server/ingest/ingesttest"
)

// scrape GETs /metrics with mod's credentials and parses the answer with the
// Prometheus text parser.
func (e *testEnv) scrape(mod func(*http.Request)) (int, map[string]*dto.MetricFamily) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		e.t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return 200, fams
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// value is the sample of fam whose labels include want (nil: the only one).
func value(t *testing.T, fams map[string]*dto.MetricFamily, fam string, want map[string]string) float64 {
	t.Helper()
	f := fams[fam]
	if f == nil {
		t.Fatalf("no %s in /metrics", fam)
	}
next:
	for _, m := range f.Metric {
		for _, lp := range m.Label {
			if v, ok := want[lp.GetName()]; ok && v != lp.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("%s has no sample with %v", fam, want)
	return 0
}

// TestMetricsScrape: the token, an admin's Basic or API key and an admin's page
// session may scrape; nothing else. The figures follow what was sent.
func TestMetricsScrape(t *testing.T) {
	cfg := testConfig(t)
	cfg.MetricsToken = "scrape-token"
	e := startEnv(t, cfg)

	if code, _ := e.scrape(nil); code != 401 {
		t.Fatalf("no credentials: %d, want 401", code)
	}
	if code, _ := e.scrape(bearer("wrong")); code != 401 {
		t.Fatalf("wrong token: %d, want 401", code)
	}
	if code, _ := e.scrape(basic("agent1", "agentpw")); code != 403 {
		t.Fatalf("agent's Basic: %d, want 403", code)
	}
	agentCookie := e.formLogin("agent1", "agentpw")
	if code, _ := e.scrape(func(r *http.Request) { r.AddCookie(agentCookie) }); code != 403 {
		t.Fatalf("agent's session: %d, want 403", code)
	}

	// traffic: every fixture once (the undecodable ones get 400), one good one again,
	// one unknown source
	raws := fixtures(t)
	srcs := ingesttest.Sources()
	good, badBy := 0, map[string]int{}
	var first ingesttest.Raw
	for _, path := range raws {
		raw, err := ingesttest.ReadRaw(path)
		if err != nil {
			t.Fatal(err)
		}
		fs := srcs[raw.Source()]
		_, decErr := e.decode(fs, raw.Request())
		code, body := e.send(raw)
		switch {
		case decErr != nil && code == 400:
			badBy[fs.Vendor]++
		case decErr == nil && code == 200:
			if good == 0 {
				first = raw
			}
			good++
		default:
			t.Fatalf("%s: %d %s (decode error %v)", path, code, body, decErr)
		}
	}
	e.send(first)
	e.post("/hooks/nosuchsource", "x", nil)

	code, fams := e.scrape(bearer("scrape-token"))
	if code != 200 {
		t.Fatalf("token: %d", code)
	}
	if got := value(t, fams, "ringside_dedupe_hits_total", map[string]string{"source": first.Source()}); got < 1 {
		t.Errorf("dedupe hits for %s: %v", first.Source(), got)
	}
	for vendor, n := range badBy {
		if got := value(t, fams, "ringside_decode_errors_total", map[string]string{"vendor": vendor}); int(got) != n {
			t.Errorf("decode errors for %s: %v, want %d", vendor, got, n)
		}
	}
	if len(badBy) == 0 {
		t.Fatal("no undecodable fixture: the decode error figure is untested")
	}
	if got := value(t, fams, "ringside_webhook_answers_total", map[string]string{"source": first.Source(), "code": "200"}); got < 2 {
		t.Errorf("200 answers for %s: %v", first.Source(), got)
	}
	if got := value(t, fams, "ringside_webhook_answers_total", map[string]string{"source": "unknown", "code": "404"}); got != 1 {
		t.Errorf("404 answers for unknown sources: %v", got)
	}
	accepted := value(t, fams, "ringside_deliveries_total", map[string]string{"result": "accepted"})
	dups := value(t, fams, "ringside_deliveries_total", map[string]string{"result": "duplicate"})
	if int(accepted+dups) != good+1 {
		t.Errorf("accepted %v + duplicate %v, sent %d good deliveries", accepted, dups, good+1)
	}
	if n := value(t, fams, "ringside_log_append_seconds", nil); int(n) < good {
		t.Errorf("log append histogram has %v samples for %d appends", n, good)
	}
	for _, fam := range []string{"ringside_log_commit_seconds", "ringside_board_apply_seconds", "ringside_log_seq",
		"ringside_cdr_writer_backlog", "ringside_snapshot_age_seconds", "ringside_ws_connections", "go_goroutines",
		"process_resident_memory_bytes", "ringside_build_info"} {
		if fams[fam] == nil {
			t.Errorf("/metrics lacks %s", fam)
		}
	}
	if value(t, fams, "ringside_log_commit_seconds", nil) < 1 {
		t.Error("no log commit observed")
	}

	// an admin's credentials and an admin's page session work as well
	if code, _ := e.scrape(func(r *http.Request) { r.Header.Set("X-APIKEY", "admin-key") }); code != 200 {
		t.Errorf("admin API key: %d", code)
	}
	adminCookie := e.formLogin("admin", "adminpw")
	if code, _ := e.scrape(func(r *http.Request) { r.AddCookie(adminCookie) }); code != 200 {
		t.Errorf("admin session: %d", code)
	}
}

// TestReadyz: /readyz answers 200 once the board has applied the log, and its
// figures follow the log.
func TestReadyz(t *testing.T) {
	e := startEnv(t, testConfig(t))
	raw, err := ingesttest.ReadRaw(fixtures(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	e.send(raw)
	logged := e.st.LastSeq()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", e.url+"/readyz", nil)
		code, body := do(t, req)
		var r struct {
			Status       string
			Applied, Seq uint64
		}
		json.Unmarshal([]byte(body), &r)
		if code == 200 && r.Status == "ready" && r.Applied >= logged {
			return
		}
		if code != 200 && code != 503 || !strings.Contains(body, "status") {
			t.Fatalf("/readyz: %d %s", code, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never ready with the log at %d: %d %s", logged, code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
