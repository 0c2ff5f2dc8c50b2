package server

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/ingest"
	"ringside/store"
)

// TestUnreadableEventIsSkipped damages one stored event and restarts: the board skips
// it (log, metric, settings notice with its seq), applies what follows it and what
// comes after the restart, and /api/v1/events still answers its page.
func TestUnreadableEventIsSkipped(t *testing.T) {
	cfg := testConfig(t)
	cfg.MetricsToken = "scrape"
	state := func(ext, st string) string {
		return fmt.Sprintf(`{"event_name":"NewState","exten":"%s","state":"%s"}`, ext, st)
	}
	first := startEnv(t, cfg)
	<-first.srv.Ready()
	for i := 0; i < 3; i++ {
		if code, resp := first.post("/hooks/pbx1", state(fmt.Sprint(700+i), "Idle"), basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("%d %s", code, resp)
		}
	}
	first.srv.Shutdown(t.Context())
	first.st.Close() // its snapshot covers seq 1-3

	// Three more deliveries logged while no board runs (so after the snapshot), the
	// first of them then damaged on disk.
	path := filepath.Join(cfg.Data, "ringside.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := cfg.Source("pbx1")
	for i := 3; i < 6; i++ {
		body := state(fmt.Sprint(700+i), "Idle")
		res, err := ingest.Decode(ingestSource(src), ingest.Request{Method: "POST", ContentType: "application/json", Body: []byte(body), ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		d := store.Delivery{Source: "pbx1", Method: "POST", Path: "/hooks/pbx1", Body: []byte(body), ReceivedAt: time.Now(), Key: res.Key, Stream: res.Stream, Marks: res.Marks, Seals: res.Seals}
		if _, err := st.Append(t.Context(), d, res.Events); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	const bad = 4
	err = db.Update(func(tx *bolt.Tx) error {
		k := make([]byte, 8)
		binary.BigEndian.PutUint64(k, bad)
		if v := tx.Bucket([]byte("events")).Get(k); len(v) < 10 {
			return fmt.Errorf("event %d: %q", bad, v)
		}
		return tx.Bucket([]byte("events")).Put(k, []byte("\x00\x00\x00\x00\x00\x00\x00\x01\xff\xfe{"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	var logged lockedLog
	e := startEnvLog(t, cfg, nil, &logged)
	select {
	case <-e.srv.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the board never caught up past the damaged event")
	}
	if code, resp := e.post("/hooks/pbx1", state("799", "Idle"), basic("hook", "pw-pbx1")); code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	var agents []struct{ ID string }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		e.apiGet(t, "/api/v1/agents", &agents)
		if len(agents) >= 6 || time.Now().After(deadline) {
			break
		}
	}
	ids := fmt.Sprint(agents)
	for _, want := range []string{"pbx1:700", "pbx1:701", "pbx1:702", "pbx1:704", "pbx1:705", "pbx1:799"} {
		if !strings.Contains(ids, want) {
			t.Errorf("agent %s missing after the damaged event: %s", want, ids)
		}
	}
	if strings.Contains(ids, "pbx1:703") {
		t.Errorf("the damaged event's agent is on the board: %s", ids)
	}
	if !strings.Contains(logged.String(), "skipped a stored event") || !strings.Contains(logged.String(), "seq=4") {
		t.Errorf("no error log line naming seq 4:\n%s", logged.String())
	}

	req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape")
	if code, body := do(t, req); code != 200 || !strings.Contains(body, "ringside_board_skipped_events_total 1") {
		t.Errorf("/metrics: %d, skipped counter not 1", code)
	}
	req, _ = http.NewRequest("GET", e.url+"/api/v1/events?after=0", nil)
	req.Header.Set("X-APIKEY", "admin-key")
	if code, body := do(t, req); code != 200 || !strings.Contains(body, "ringside.unreadable") {
		t.Errorf("/api/v1/events over the damaged event: %d %.300s", code, body)
	}
	req, _ = http.NewRequest("GET", e.url+"/settings", nil)
	req.AddCookie(e.formLogin("admin", "adminpw"))
	if code, body := do(t, req); code != 200 || !strings.Contains(body, `id="skipped-events"`) || !strings.Contains(body, "Event 4:") {
		t.Errorf("/settings does not name the skipped event: %d", code)
	}
	resp, err := http.Get(e.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/readyz after skipping: %d", resp.StatusCode)
	}
}

// lockedLog is a log sink the server writes from many goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
