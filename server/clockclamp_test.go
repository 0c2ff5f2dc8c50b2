package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"ringside/server/ingest/ingesttest"
	"ringside/server/live"
)

// TestVendorClockClamped: SipSim calls dated a year ahead and 30 days back show on the
// board at their receive time, so the one ahead still expires; the log keeps the
// vendor's times; the settings page names the source whose clock is wrong.
func TestVendorClockClamped(t *testing.T) {
	e := startEnv(t, testConfig(t))
	<-e.srv.Ready()
	start := func(id string, at time.Time) {
		body := fmt.Sprintf(`{"event":"incoming_call_start","pbx_id":%q,"caller":"+375290000000","receiver":"+375172000100","time":%q}`,
			id, at.Format(time.RFC3339))
		if code, msg := e.send(ingesttest.Raw{Method: "POST", Target: "/hooks/sipsim", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}); code != 200 {
			t.Fatalf("%s: %d %s", id, code, msg)
		}
	}
	sent := time.Now()
	start("ahead", sent.AddDate(1, 0, 0))
	start("behind", sent.AddDate(0, 0, -30))
	var calls []struct {
		ID        string     `json:"id"`
		StartedAt *time.Time `json:"started_at"`
	}
	for deadline := time.Now().Add(10 * time.Second); len(calls) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		e.apiGet(t, "/api/v1/calls", &calls)
	}
	if len(calls) != 2 {
		t.Fatalf("calls on the board: %+v", calls)
	}
	for _, c := range calls {
		if c.StartedAt == nil || c.StartedAt.Sub(sent).Abs() > time.Minute {
			t.Errorf("%s starts at %v on the board, want its receive time (about %v)", c.ID, c.StartedAt, sent)
		}
	}
	var expired []string
	e.srv.board.read(func(b *live.Board) {
		for _, ev := range b.Expired(sent.Add(e.cfg.CallExpiry.Duration + time.Minute)) {
			expired = append(expired, ev.Call)
		}
	})
	if strings.Join(expired, ",") != "sipsim:ahead,sipsim:behind" {
		t.Errorf("expired after call_expiry: %v, want both calls", expired)
	}

	var logged []struct {
		Call string    `json:"call"`
		At   time.Time `json:"at"`
	}
	e.apiGet(t, "/api/v1/events?after=0", &logged)
	for _, ev := range logged {
		if ev.Call == "sipsim:ahead" && ev.At.Year() != sent.Year()+1 {
			t.Errorf("the log lost the vendor's time: %v", ev.At)
		}
	}

	for i := 0; i < 5; i++ {
		start(fmt.Sprintf("ahead-%d", i), time.Now().AddDate(1, 0, 0))
	}
	req, _ := http.NewRequest("GET", e.url+"/settings", nil)
	req.AddCookie(e.formLogin("admin", "adminpw"))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body := do(t, req)
		i := strings.Index(body, `class="clock-warning"`)
		if i >= 0 && strings.Contains(body[i:min(len(body), i+300)], "times from sipsim run") && strings.Contains(body[i:min(len(body), i+300)], "ahead of") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the settings page does not name sipsim's clock")
		}
	}
}
