package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/live"
)

// panicOn makes every apply of agent ext's event (by the board or a CDR writer's fold)
// change the board halfway, by applying the event for another agent, and then panic,
// as a bug in live.Board.Apply would. It counts the times it was asked.
func panicOn(t *testing.T, ext string) *atomic.Int32 {
	var n atomic.Int32
	applyHook = func(lb *live.Board, e call.Event) {
		if !strings.HasSuffix(e.Agent, ":"+ext) {
			return
		}
		n.Add(1)
		half := e
		half.Agent = strings.TrimSuffix(e.Agent, ext) + "half" + ext
		lb.Apply(half)
		panic("a bug met agent " + ext)
	}
	t.Cleanup(func() { applyHook = nil })
	return &n
}

// TestApplyPanicIsSetAside: an event whose apply panics (after changing the board
// halfway) is skipped like an unreadable one: the process lives, the board holds
// nothing of the half-done apply and applies the events after it, the log, the metric,
// the settings page and /readyz say so with its seq. A restart that replays the log
// over it (no snapshot past it, as after a crash) reads it as set aside: the board
// never applies it again, and comes up with the same agents.
func TestApplyPanicIsSetAside(t *testing.T) {
	cfg := testConfig(t)
	cfg.MetricsToken = "scrape"
	bad := panicOn(t, "703")
	var logged lockedLog
	e := startEnvLog(t, cfg, nil, &logged)
	<-e.srv.Ready()
	state := func(ext string) string {
		return fmt.Sprintf(`{"event_name":"NewState","exten":"%s","state":"Idle"}`, ext)
	}
	for _, ext := range []string{"700", "701", "702", "703", "704", "705"} {
		if code, resp := e.post("/hooks/pbx1", state(ext), basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("delivery of %s: %d %s", ext, code, resp)
		}
	}
	want := []string{"pbx1:700", "pbx1:701", "pbx1:702", "pbx1:704", "pbx1:705"}
	agents := func(e *testEnv) string {
		var got []struct{ ID string }
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			e.apiGet(t, "/api/v1/agents", &got)
			if len(got) >= len(want) || time.Now().After(deadline) {
				return fmt.Sprint(got)
			}
		}
	}
	checkBoard := func(e *testEnv) {
		t.Helper()
		ids := agents(e)
		for _, w := range want {
			if !strings.Contains(ids, w) {
				t.Errorf("agent %s missing around the event that panicked: %s", w, ids)
			}
		}
		if strings.Contains(ids, "703") {
			t.Errorf("the board keeps (part of) the apply that panicked: %s", ids)
		}
	}
	checkBoard(e)
	if bad.Load() != 1 {
		t.Errorf("the bad event was applied %d times, want once", bad.Load())
	}
	if s := logged.String(); !strings.Contains(s, "applying a stored event panicked") || !strings.Contains(s, "seq=4") ||
		!strings.Contains(s, "a bug met agent 703") {
		t.Errorf("no error log line naming seq 4 and the panic:\n%.3000s", s)
	}
	req, _ := http.NewRequest("GET", e.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape")
	if code, body := do(t, req); code != 200 || !strings.Contains(body, "ringside_board_skipped_events_total 1") {
		t.Errorf("/metrics: %d, skipped counter not 1", code)
	}
	settings := func(e *testEnv) string {
		req, _ := http.NewRequest("GET", e.url+"/settings", nil)
		req.AddCookie(e.formLogin("admin", "adminpw"))
		_, body := do(t, req)
		return body
	}
	if body := settings(e); !strings.Contains(body, `id="skipped-events"`) || !strings.Contains(body, "Event 4:") ||
		!strings.Contains(body, "applying it panicked") {
		t.Errorf("/settings does not name the event that panicked")
	}
	if resp, err := http.Get(e.url + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/readyz after the panic: %v %v", resp.StatusCode, err)
	}

	e.srv.Shutdown(t.Context())
	if err := e.st.PutSnapshot(0, nil); err != nil { // as after a crash before any snapshot
		t.Fatal(err)
	}
	e.st.Close()
	var again lockedLog
	e2 := startEnvLog(t, cfg, nil, &again)
	select {
	case <-e2.srv.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the restart never caught up")
	}
	checkBoard(e2)
	if bad.Load() != 1 {
		t.Errorf("the restart applied the event set aside again (%d applies)", bad.Load())
	}
	if body := settings(e2); !strings.Contains(body, "Event 4:") {
		t.Errorf("after the restart, /settings does not name the event set aside")
	}
	if code, resp := e2.post("/hooks/pbx1", state("799"), basic("hook", "pw-pbx1")); code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	want = append(want, "pbx1:799")
	checkBoard(e2)
}

// TestStoreWriterPanicAnswers503: with a damaged page under the log's by-call index,
// bbolt panics inside the log writer's transaction for every delivery with a call
// event. The process lives; those deliveries are answered 503 (the vendor retries,
// nothing acknowledged), /readyz says store_failed with the error, and deliveries the
// damage does not touch are still acknowledged and reach the board.
func TestStoreWriterPanicAnswers503(t *testing.T) {
	cfg := testConfig(t)
	first := startEnv(t, cfg)
	<-first.srv.Ready()
	for i := 0; i < 300; i++ { // enough calls that the index has its own pages
		body := fmt.Sprintf(`{"event_name":"IncomingCall","unique_id":"writer-panic-call-%04d","src":"0912000%04d","dst":"100"}`, i, i)
		if code, resp := first.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("%d %s", code, resp)
		}
	}
	first.srv.Shutdown(t.Context())
	first.st.Close()
	damagePage(t, filepath.Join(cfg.Data, "ringside.db"), "events_by_call")

	var logged lockedLog
	e := startEnvLog(t, cfg, nil, &logged)
	<-e.srv.Ready()
	for i := 0; i < 2; i++ {
		body := fmt.Sprintf(`{"event_name":"IncomingCall","unique_id":"after-damage-%d","src":"09121111111","dst":"100"}`, i)
		if code, resp := e.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 503 {
			t.Errorf("a call delivery over the damaged index: %d %s, want 503", code, resp)
		}
	}
	resp, err := http.Get(e.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "store_failed") || !strings.Contains(string(body), "panicked") {
		t.Errorf("/readyz while the writer panics: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(logged.String(), "store append failed") {
		t.Errorf("the failed appends are not logged:\n%.2000s", logged.String())
	}
	if code, resp := e.post("/hooks/pbx1", `{"event_name":"NewState","exten":"990","state":"Idle"}`, basic("hook", "pw-pbx1")); code != 200 {
		t.Fatalf("a delivery the damage does not touch: %d %s", code, resp)
	}
	var agents []struct{ ID string }
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(fmt.Sprint(agents), "pbx1:990"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the delivery after the panics never reached the board: %v", agents)
		}
		e.apiGet(t, "/api/v1/agents", &agents)
	}
}

// TestBoardStepSurvivesPanic: a panic in one of the board goroutine's other steps (a
// push, a snapshot, a check) under the read lock is logged with its stack, and the
// lock is released, so the board's next apply does not wait forever.
func TestBoardStepSurvivesPanic(t *testing.T) {
	var logged lockedLog
	b := &board{b: live.New(live.Config{}), log: slog.New(slog.NewTextHandler(&logged, nil))}
	b.survive("snapshot", func() {
		b.read(func(*live.Board) { panic("a snapshot bug") })
	})
	if !b.mu.TryLock() {
		t.Fatal("the read lock is still held after the panic")
	}
	b.mu.Unlock()
	if s := logged.String(); !strings.Contains(s, "snapshot panicked") || !strings.Contains(s, "a snapshot bug") || !strings.Contains(s, "poison_test.go") {
		t.Errorf("the panic is not logged with its stack:\n%s", s)
	}
}

// TestCatchUpBatchPanicIsSetAside: a board catching up applies the log in batches
// (each call folded once a batch, replaybatch.go). An event whose apply panics inside
// one (after changing the board halfway) leaves nothing of the batch behind: the board
// is rebuilt up to the batch and applies it again one event at a time, which sets the
// event aside as a live apply would, and the events around it are on the board.
func TestCatchUpBatchPanicIsSetAside(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg)
	<-e.srv.Ready()
	for _, ext := range []string{"700", "701", "702", "703", "704", "705"} {
		body := fmt.Sprintf(`{"event_name":"NewState","exten":"%s","state":"Idle"}`, ext)
		if code, resp := e.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("delivery of %s: %d %s", ext, code, resp)
		}
	}
	e.srv.Shutdown(t.Context())
	if err := e.st.PutSnapshot(0, nil); err != nil { // the restart replays the whole log
		t.Fatal(err)
	}
	e.st.Close()

	bad := panicOn(t, "703")
	var logged lockedLog
	e2 := startEnvLog(t, cfg, nil, &logged)
	select {
	case <-e2.srv.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the restart never caught up")
	}
	var got []struct{ ID string }
	e2.apiGet(t, "/api/v1/agents", &got)
	ids := fmt.Sprint(got)
	for _, w := range []string{"pbx1:700", "pbx1:701", "pbx1:702", "pbx1:704", "pbx1:705"} {
		if !strings.Contains(ids, w) {
			t.Errorf("agent %s missing around the event that panicked in a batch: %s", w, ids)
		}
	}
	if strings.Contains(ids, "703") {
		t.Errorf("the board keeps (part of) the batch that panicked: %s", ids)
	}
	if n := bad.Load(); n != 2 {
		t.Errorf("the bad event was applied %d times, want twice (in its batch, then alone)", n)
	}
	s := logged.String()
	if !strings.Contains(s, "a catch-up batch panicked") || !strings.Contains(s, "applying a stored event panicked") ||
		!strings.Contains(s, "seq=4") {
		t.Errorf("the log does not say the batch panicked and event 4 was set aside:\n%.3000s", s)
	}
	if resp, err := http.Get(e2.url + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/readyz after the panic: %v %v", resp.StatusCode, err)
	}
}
