package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/call"
	"ringside/server/sim"
	"ringside/store"
)

// A supervisor marks a caller done on the wallboard: the caller leaves every open page
// (another wallboard in TV mode, the agent whose call it was), and stays gone after a
// restart (a new server on the same bbolt file). An agent takes another caller: every
// page says who is calling back, also after the restart.
func TestBrowserCallbackDone(t *testing.T) {
	e := startBrowser(t)
	e.t = t
	sup, tv, petr, jana := e.login("sup"), e.login("admin"), e.login("petr"), e.login("jana")
	for _, p := range []*person{sup, tv, petr, jana} {
		p.t = t
	}
	sup.goTo("/wallboard")
	tv.goTo("/wallboard?tv=1")
	petr.goTo("/agent")
	jana.goTo("/agent")

	// Two callers give up after ringing only Petr.
	gone, kept := e.story("simotel", sim.Missed), e.story("simotel", sim.Missed)
	for _, st := range []*sim.Story{&gone, &kept} {
		st.Chain = []sim.Attempt{attempt(simPetr, 2, 40, call.OutcomeNoAnswer)}
		e.send(e.pbx, *st, 0, all)
	}
	row := func(st sim.Story) string {
		return fmt.Sprintf(`[...document.querySelectorAll("#callback-rows [role=row]")].find(r => r.dataset.number === %s)`, jsString(st.Caller))
	}
	for _, p := range []*person{sup, tv, petr} {
		p.waitFor("both callers listed", row(gone)+" && "+row(kept))
	}
	jana.stays("Jana sees a caller of a queue she is not in", row(gone)+" || "+row(kept), 1500*time.Millisecond)

	// Petr takes one: everyone sees who calls back.
	petr.do(chromedp.Click(chromedp.CSS(`[data-number="` + kept.Caller + `"] button[hx-post="/callbacks/take"]`)))
	taken := row(kept) + `.textContent.includes("Petr Novák is calling back")`
	for _, p := range []*person{sup, tv, petr} {
		p.waitFor("the taken caller", taken)
	}
	sup.do(chromedp.ScrollIntoView(chromedp.CSS(".p-aband")))
	sup.shot("wallboard-callbacks")
	petr.do(chromedp.ScrollIntoView(chromedp.CSS(".p-aband")))
	petr.shot("agent-callbacks")

	// The supervisor marks the other one done.
	sup.do(chromedp.Click(chromedp.CSS(`[data-number="` + gone.Caller + `"] button[hx-post="/callbacks/done"]`)))
	for _, p := range []*person{sup, tv, petr} {
		p.waitFor("the caller off the list", "!"+row(gone))
		p.notReloaded()
		if p.eval("!!"+row(kept)) != "true" {
			t.Errorf("%s: the other caller left the list too", p.name)
		}
	}

	// Restart: the pages reconnect to a new server on the same file, and reload.
	e.restart(t)
	for _, p := range []*person{sup, tv, petr} {
		p.waitFor("the page live again", `document.body.dataset.live === "1"`)
		p.waitFor("the taken caller after the restart", taken)
		if p.eval("!!"+row(gone)) == "true" {
			t.Errorf("%s: the caller marked done is back after the restart", p.name)
		}
		p.goTo(p.path() + map[bool]string{true: "?tv=1"}[p == tv])
		if p.eval("!!"+row(gone)) == "true" || p.eval(taken) != "true" {
			t.Errorf("%s: after a reload, done caller listed %s, taken caller %s", p.name, p.eval("!!"+row(gone)), p.eval(taken))
		}
	}
	var list []call.Callback
	e.apiGet(t, "/api/v1/callbacks", &list)
	if len(list) != 1 || list[0].Number != kept.Caller || list[0].TakenBy != "Petr Novák" {
		t.Errorf("API after the restart: %+v", list)
	}
}

// restart stops the server and starts a new one on the same bbolt file and address, the
// way an operator restarts the process.
func (e *testEnv) restart(t *testing.T) {
	t.Helper()
	addr := strings.TrimPrefix(e.url, "http://")
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Logf("shutdown: %v (open sockets outlived the grace period; the process would exit anyway)", err)
	}
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(e.cfg.Data, "ringside.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(e.cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		if i == 50 {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	go srv.App().Listener(ln)
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		st.Close()
	})
	e.srv, e.st = srv, st
	<-srv.Ready()
}

// apiGet reads a JSON API route as the admin (X-APIKEY) into data.
func (e *testEnv) apiGet(t *testing.T, path string, data any) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.Header.Set("X-APIKEY", "admin-key")
	code, body := do(t, req)
	var env struct {
		Success int             `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &env); code != 200 || err != nil || env.Success != 1 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// A caller who gave up leaves a voicemail: Petr, whose queue call it was, sees it on his
// page and on the call card, and it plays through Ringside (the file from the Simotel API).
func TestBrowserVoicemail(t *testing.T) {
	e := startBrowser(t)
	e.t = t
	petr := e.login("petr")
	petr.t = t
	petr.goTo("/agent")
	st := e.story("simotel", sim.Missed)
	st.Chain = []sim.Attempt{attempt(simPetr, 2, 40, call.OutcomeNoAnswer)}
	e.send(e.pbx, st, 0, all)
	file := "5555_" + st.ID + "-vm-record-file-1.wav"
	e.fake.SetFile(file, mp3(t))
	left := st.Start.Add(45 * time.Second).In(e.pbx.Location)
	body := fmt.Sprintf(`{"event_name":"VoiceMail","id":"vm%s","number":"5555","state":"SUCCESS","date":%q,"filename":%q,"duration":"7","caller":%q}`,
		strings.ReplaceAll(st.ID, ".", ""), left.Format("2006-01-02 15:04:05.000000"), file, st.Caller)
	req, _ := http.NewRequest("POST", e.url+"/hooks/pbx1", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sim.Authorize(req.Header, e.pbx, []byte(body), time.Now())
	if code, b := do(t, req); code != 200 {
		t.Fatalf("VoiceMail: %d %s", code, b)
	}
	vm := `document.querySelector("#voicemail-rows audio[src^='/voicemails/pbx1/']")`
	petr.waitFor("the voicemail on Petr's page", vm)
	petr.notReloaded()
	petr.do(chromedp.ScrollIntoView(chromedp.CSS(".p-voicemail")))
	petr.shot("agent-voicemail")
	petr.goTo("/calls/" + url.PathEscape(storyCallID(e.pbx, st)))
	petr.waitFor("the voicemail on the call card", `document.querySelector("#voicemails audio")`)
	petr.eval(`(fetch(document.querySelector("#voicemails audio").src, {headers: {Range: "bytes=0-2"}}).then(r => { window.vmStatus = r.status }), 1)`)
	petr.waitFor("the voicemail fetched in part (206)", `window.vmStatus === 206`)
	petr.shot("call-card-voicemail")
}
