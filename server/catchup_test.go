package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestListensWhileBoardCatchesUp: while the board has not restored, deliveries are
// acknowledged (and logged), /readyz says catching_up, pages carry the notice; once
// it has, the board holds every delivery, the API's catching_up is false and the
// notice is gone.
func TestListensWhileBoardCatchesUp(t *testing.T) {
	cfg := testConfig(t)
	first := startEnv(t, cfg)
	<-first.srv.Ready()
	for i := 0; i < 20; i++ { // a log to replay
		body := fmt.Sprintf(`{"event_name":"NewState","exten":"99%d","state":"Idle"}`, i)
		if code, resp := first.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("%d %s", code, resp)
		}
	}
	first.srv.Shutdown(t.Context())
	first.st.Close()

	restoreHold = make(chan struct{})
	held := restoreHold
	defer func() { restoreHold = nil }()
	e := startEnv(t, cfg)
	readyz := func() string {
		resp, err := http.Get(e.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct{ Status string }
		json.NewDecoder(resp.Body).Decode(&r)
		return fmt.Sprint(resp.StatusCode, " ", r.Status)
	}
	if got := readyz(); got != "503 catching_up" {
		t.Fatalf("/readyz while restoring: %s", got)
	}
	for i := 20; i < 25; i++ {
		body := fmt.Sprintf(`{"event_name":"NewState","exten":"99%d","state":"Idle"}`, i)
		if code, resp := e.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("delivery while the board restores: %d %s", code, resp)
		}
	}
	if seq := e.st.LastSeq(); seq < 25 {
		t.Fatalf("log holds %d events, want 25", seq)
	}
	req, _ := http.NewRequest("GET", e.url+"/catching-up", nil)
	if code, body := do(t, req); code != 200 || !strings.Contains(body, `id="catching-up"`) || !strings.Contains(body, "Catching up") {
		t.Fatalf("/catching-up while restoring: %d %q", code, body)
	}
	var calls struct {
		CatchingUp *bool `json:"catching_up"`
	}
	apiReq, _ := http.NewRequest("GET", e.url+"/api/v1/agents", nil)
	apiReq.Header.Set("X-APIKEY", "admin-key")
	if code, body := do(t, apiReq); code != 200 || json.Unmarshal([]byte(body), &calls) != nil || calls.CatchingUp == nil || !*calls.CatchingUp {
		t.Fatalf("/api/v1/agents while restoring: %d %s", code, body)
	}

	close(held)
	select {
	case <-e.srv.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("board never caught up")
	}
	for deadline := time.Now().Add(10 * time.Second); readyz() != "200 ready"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after catching up: %s", readyz())
		}
	}
	var agents []struct{ ID string }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		e.apiGet(t, "/api/v1/agents", &agents)
		if len(agents) >= 25 || time.Now().After(deadline) {
			break
		}
	}
	if len(agents) < 25 {
		t.Fatalf("%d agents on the board after catching up, want the 25 delivered", len(agents))
	}
	if code, body := do(t, apiReq); code != 200 || json.Unmarshal([]byte(body), &calls) != nil || calls.CatchingUp == nil || *calls.CatchingUp {
		t.Fatalf("/api/v1/agents after catching up: %d %s", code, body)
	}
	req, _ = http.NewRequest("GET", e.url+"/catching-up", nil)
	if code, body := do(t, req); code != 200 || body != "" {
		t.Fatalf("/catching-up after catching up: %d %q", code, body)
	}
}
