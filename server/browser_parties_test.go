package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"ringside/server/ingest/ingesttest"
	"ringside/server/live"
)

// TestBrowserCallCardParties: the call card names who took part. A VOIPEX call a
// supervisor barged into shows "Monitored by" and keeps its agent; a cloud record's
// transfer shows both parties by the names the record gives, and the ring chain lists
// the people who handled the call, not the supervisor.
func TestBrowserCallCardParties(t *testing.T) {
	e := startBrowser(t)
	// The record's call happened just now (the scenario's date moved to today).
	today := time.Now().UTC().Add(-5 * time.Minute).Format("2006-01-02T15:04")
	for _, sc := range []docScenario{voipexBargeDoc(), cloudTransferDoc()} {
		for _, st := range sc.steps {
			h := http.Header{"Content-Type": {"application/json"}}
			body := strings.ReplaceAll(st.body, "2026-03-10T09:0", today[:len(today)-1])
			if code, msg := e.testEnv.send(ingesttest.Raw{Method: "POST", Target: "/hooks/" + st.source, Header: h, Body: []byte(body)}); code != 200 {
				t.Fatalf("%s: %d %s", sc.name, code, msg)
			}
		}
	}
	want := e.st.LastSeq()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var got uint64
		e.srv.board.read(func(*live.Board) { got = e.srv.board.applied })
		if got >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("board applied %d of %d", got, want)
		}
	}
	admin := e.login("admin")

	admin.goTo("/calls/" + voipexBargeDoc().call)
	admin.waitFor("the card", `document.querySelector(".callcard") !== null`)
	if got := admin.text(".cc-monitored dd"); !strings.Contains(got, "novakova") {
		t.Errorf("monitored by %q, want the supervisor", got)
	}
	if got := admin.text(".facts"); !strings.Contains(got, "AgentPetr Novák") {
		t.Errorf("details %q: the agent must stay Petr", got)
	}
	if got := admin.eval(`document.querySelectorAll(".callcard table")[0].innerText`); strings.Contains(got, "novakova") {
		t.Errorf("ring chain %q lists the supervisor", got)
	}
	admin.shot("callcard-monitored")

	admin.goTo("/calls/" + cloudTransferDoc().call)
	admin.waitFor("the card", `document.querySelector(".callcard") !== null`)
	xfer := admin.eval(`[...document.querySelectorAll(".callcard section")].find(s => s.textContent.includes("Transfers")).innerText`)
	if !strings.Contains(xfer, "Bob Jones") || !strings.Contains(xfer, "Carol White") {
		t.Errorf("transfers section %q: want Bob Jones → Carol White", xfer)
	}
	admin.shot("callcard-transfer-record")
	admin.eval(`window.scrollTo(0, document.querySelector(".cc-grid .stack section:nth-of-type(2)").offsetTop - 20)`)
	admin.shot("callcard-transfer-record-chain")
}
