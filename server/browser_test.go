package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/sim"
	"ringside/server/simotel"
	"ringside/views"
)

const xss = `<img src=x onerror=alert(1)>`

// TestBrowser walks the product as its people do, one server and one browser for all
// the steps (each step builds on what the earlier ones delivered).
func TestBrowser(t *testing.T) {
	e := startBrowser(t)
	var sup, mgr, petr, jana, admin *person
	var answered sim.Story // the call rung at Petr, answered and recorded

	t.Run("roles", func(t *testing.T) {
		e.t = t
		homes := map[string]string{"admin": "/wallboard", "sup": "/wallboard", "mgr": "/cdrs", "petr": "/agent", "jana": "/agent"}
		people := map[string]*person{}
		for _, name := range []string{"admin", "sup", "mgr", "petr", "jana"} {
			p := e.login(name)
			p.t = t
			if got := p.path(); got != "/cdrs" {
				// the form returns people to the page they asked for, when their role may see it
				if got != homes[name] {
					t.Errorf("%s landed on %s, want /cdrs or %s", name, got, homes[name])
				}
			}
			p.goTo("/")
			if got := p.path(); got != homes[name] {
				t.Errorf("%s: / took them to %s, want %s", name, got, homes[name])
			}
			people[name] = p
		}
		sup, mgr, petr, jana, admin = people["sup"], people["mgr"], people["petr"], people["jana"], people["admin"]
		forbidden := map[string][]string{
			"mgr":  {"/wallboard", "/settings", "/agent"},
			"sup":  {"/settings", "/agent"},
			"petr": {"/wallboard", "/cdrs", "/settings"},
		}
		for name, paths := range forbidden {
			for _, path := range paths {
				p := people[name]
				p.goTo(path)
				if txt := p.text("main"); !strings.Contains(txt, "Your role does not open this page") {
					t.Errorf("%s on %s: want the forbidden page, got %q", name, path, txt)
				}
			}
		}
		// a wrong password stays on the form with a message
		bad := e.open("intruder")
		bad.do(chromedp.Navigate(bad.base+"/login"),
			chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "wrong\r"))
		bad.waitFor("an error on the form", `document.readyState === "complete" && /wrong|invalid|incorrect/i.test(document.body.textContent)`)
		if bad.path() != "/login" {
			t.Errorf("a wrong password left the form for %s", bad.path())
		}
		// logout ends the session
		out := e.login("admin")
		out.t = t
		out.goTo("/settings")
		out.do(chromedp.Click(chromedp.CSS(`form.logout button`)))
		out.waitFor("back on the form", `location.pathname === "/login"`)
		out.goTo("/settings")
		if out.path() != "/login" {
			t.Errorf("after logout /settings is at %s, want /login", out.path())
		}
	})
	if t.Failed() {
		return
	}

	t.Run("live", func(t *testing.T) {
		e.t = t
		for _, p := range []*person{sup, mgr, petr, jana} {
			p.t = t
		}
		sup.goTo("/wallboard")
		mgr.goTo("/cdrs")
		petr.goTo("/agent")
		jana.goTo("/agent")

		st := e.story("simotel", sim.QueueAnswered)
		st.Chain = []sim.Attempt{attempt(simPetr, 2, 4, call.OutcomeAnswer)}
		st.Agent, st.Answer, st.End = simPetr, 4*storySec, 20*storySec
		answered = st
		id := storyCallID(e.pbx, st)
		pop := "#" + views.DOMID("pop", id)
		tile := "#" + views.DOMID("queue", "pbx1:"+st.Queue)
		agentRow := "#" + views.DOMID("agent", "petr")
		e.fake.SetFile(recordingName(e, st), mp3(t))

		e.send(e.pbx, st, 0, 3*storySec) // in the queue, ringing at Petr
		petr.waitFor("the screen-pop", fmt.Sprintf(`document.querySelector(%s)`, jsString(pop)))
		if txt := petr.text(pop); !strings.Contains(txt, st.Caller) || !strings.Contains(txt, st.Queue) {
			t.Errorf("Petr's pop-up %q lacks the caller %s or queue %s", txt, st.Caller, st.Queue)
		}
		sup.waitFor("the queue tile counting the call", fmt.Sprintf(`(document.querySelector(%s + " .big") || {}).textContent === "1"`, jsString(tile)))
		sup.waitFor("Petr ringing on the agents board", fmt.Sprintf(`/ringing/i.test((document.querySelector(%s) || {}).textContent)`, jsString(agentRow)))
		sup.waitFor("the call among active calls", fmt.Sprintf(`document.querySelector(%s)`, jsString("#"+views.DOMID("call", id))))

		e.send(e.pbx, st, 3*storySec, 10*storySec) // answered
		sup.waitFor("Petr on call", fmt.Sprintf(`/on call/i.test((document.querySelector(%s) || {}).textContent)`, jsString(agentRow)))
		sup.waitFor("the tile empty again", fmt.Sprintf(`(document.querySelector(%s + " .big") || {}).textContent === "0"`, jsString(tile)))

		e.send(e.pbx, st, 10*storySec, all) // hung up, CDR with the recording
		petr.waitFor("the recording on the pop-up", fmt.Sprintf(`document.querySelector(%s + " audio[src^='/recordings/']")`, jsString(pop)))
		mgr.waitFor("the CDR row", fmt.Sprintf(`document.querySelector(%s)`, jsString("#"+views.DOMID("cdr", id))))
		mgr.waitFor("the count of calls", `document.querySelector("[data-count]").dataset.count === "1"`)
		sup.waitFor("Petr available", fmt.Sprintf(`/available/i.test((document.querySelector(%s) || {}).textContent)`, jsString(agentRow)))
		sup.waitFor("one answered on the tile", fmt.Sprintf(`/Answered\s*1(?!\d)/.test((document.querySelector(%s) || {}).textContent)`, jsString(tile)))
		jana.stays("Jana got Petr's pop-up", fmt.Sprintf(`document.querySelector(%s) || document.body.textContent.includes(%s)`, jsString(pop), jsString(st.Caller)), 500*time.Millisecond)
		for _, p := range []*person{sup, mgr, petr, jana} {
			p.notReloaded()
		}
		petr.shot("agent")
		sup.shot("wallboard")
		mgr.shot("cdrs")
	})
	if t.Failed() {
		return
	}

	t.Run("recording", func(t *testing.T) {
		e.t, petr.t = t, t
		id := storyCallID(e.pbx, answered)
		petr.goTo("/calls/" + id)
		src := petr.eval(`document.querySelector("#recordings audio").getAttribute("src")`)
		if !strings.HasPrefix(src, "/recordings/") {
			t.Fatalf("call card audio src %q", src)
		}
		before := len(e.fake.Requests())
		got, err := chromedp.Run(petr.ctx, chromedp.Evaluate[playResult](playAndSeek, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("play and seek: %v", err)
		}
		if got.Error != "" || got.Duration <= 0.5 || got.Time < got.Duration*0.5 {
			t.Errorf("played %+v: want no error, a duration, and the position past the seek target", got)
		}
		ranged := false
		for _, r := range e.fake.Requests()[before:] {
			if r.Service == "reports/audio/download" && r.Header.Get("Range") != "" && r.Status == http.StatusPartialContent {
				ranged = true
			}
		}
		if !ranged {
			t.Errorf("the player's Range requests did not reach the PBX as ranges (206): %v", serviceList(e.fake.Requests()[before:]))
		}
		// a seek to the middle of the file, as the player asks for it
		part, err := chromedp.Run(petr.ctx, chromedp.Evaluate[rangeResult](fmt.Sprintf(fetchRange, jsString(src)), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		want := mp3(t)[1000:3000]
		if got, _ := base64.StdEncoding.DecodeString(part.Body); part.Status != 206 || !bytes.Equal(got, want) {
			t.Errorf("Range bytes=1000-2999: status %d, %d bytes (equal %v), Content-Range %q", part.Status, len(got), bytes.Equal(got, want), part.ContentRange)
		}
		petr.shot("call-card")

		// Jana was not offered the call: its recording is not hers to play.
		jana.t = t
		status, err := chromedp.Run(jana.ctx, chromedp.Evaluate[int](`fetch(`+jsString(src)+`).then(r => r.status)`, chromedp.EvalAwaitPromise))
		if err != nil || status != http.StatusNotFound {
			t.Errorf("Jana fetching Petr's recording: %d %v, want 404", status, err)
		}
	})

	t.Run("settings", func(t *testing.T) {
		admin.t = t
		admin.goTo("/settings")
		txt := admin.text("main")
		for _, want := range []string{e.proxy.url + "/hooks/pbx1", e.proxy.url + "/hooks/cloud?token=tok-cloud", "ping ok"} {
			if !strings.Contains(txt, want) {
				t.Errorf("settings lack %q:\n%s", want, txt)
			}
		}
	})

	t.Run("callback", func(t *testing.T) {
		e.t, sup.t = t, t
		sup.goTo("/wallboard")
		st := e.story("simotel", sim.Missed)
		e.send(e.pbx, st, 0, all)
		row := fmt.Sprintf(`[...document.querySelectorAll("#callback-rows [role=row]")].find(r => r.textContent.includes(%s))`, jsString(st.Caller))
		sup.waitFor("the missed caller", row)
		rowID := sup.eval(row + `.id`)
		before := len(e.fake.Requests())
		sup.do(chromedp.SetValue(chromedp.CSS("#call-as"), "tomas"), chromedp.Click(chromedp.CSS("#"+rowID+" .call-btn")))
		sup.waitFor("the toast", `/Calling/.test(document.getElementById("toast").textContent)`)
		var orig []string
		for _, r := range e.fake.Requests()[before:] {
			if r.Service != "call/originate/act" {
				continue
			}
			u, p, _ := headerBasicAuth(r.Header)
			orig = append(orig, fmt.Sprintf("%s→%s@%s", r.Field("caller"), r.Field("callee"), r.Field("context")))
			if r.Field("caller") != simTomas.Ext || r.Field("callee") != st.Caller || r.Field("context") != "main_routing" ||
				u != apiUser || p != apiPass || r.Header.Get("X-APIKEY") != apiKey || r.Status != 200 {
				t.Errorf("originate %s (auth %s/%s key %q, status %d): want %s→%s@main_routing with the API account",
					orig[len(orig)-1], u, p, r.Header.Get("X-APIKEY"), r.Status, simTomas.Ext, st.Caller)
			}
		}
		if len(orig) != 1 {
			t.Errorf("the PBX got %d originate requests %v, want 1", len(orig), orig)
		}
		// The call back is answered: the caller leaves the list.
		back := e.story("simotel", sim.Outbound)
		back.Caller, back.Agent = st.Caller, simTomas
		e.send(e.pbx, back, 0, all)
		sup.waitFor("the reached caller off the list", "!"+row)
		sup.notReloaded()
	})

	t.Run("reconnect", func(t *testing.T) {
		e.t, sup.t = t, t
		sup.goTo("/wallboard")
		e.proxy.cut()
		sup.waitFor("the reconnecting banner", `!document.getElementById("conn").hidden`)
		sup.shot("wallboard-reconnecting")
		st := e.story("simotel", sim.QueueAnswered) // rings while the page is cut off
		st.Chain = []sim.Attempt{attempt(simJana, 2, 60, call.OutcomeAnswer)}
		e.send(e.pbx, st, 0, 3*storySec)
		time.Sleep(300 * time.Millisecond)
		e.proxy.mend()
		sup.waitFor("the banner gone", `document.getElementById("conn").hidden`)
		sup.waitFor("the call that rang meanwhile", fmt.Sprintf(`document.querySelector(%s)`, jsString("#"+views.DOMID("call", storyCallID(e.pbx, st)))))
		sup.waitFor("Jana ringing", fmt.Sprintf(`/ringing/i.test((document.querySelector(%s) || {}).textContent)`, jsString("#"+views.DOMID("agent", "jana"))))
		sup.notReloaded()
		e.send(e.pbx, st, 3*storySec, all)
	})

	t.Run("vendor strings are text", func(t *testing.T) {
		e.t = t
		for _, p := range []*person{sup, mgr, petr} {
			p.t = t
			p.goTo(map[*person]string{sup: "/wallboard", mgr: "/cdrs", petr: "/agent"}[p])
		}
		cloud := e.source("cloud", "")
		ans := e.story("cloudcdr", sim.QueueAnswered)
		ans.Chain = []sim.Attempt{attempt(simPetr, 2, 10, call.OutcomeAnswer)}
		ans.Agent, ans.Answer, ans.End = simPetr, 10*storySec, 40*storySec
		ans.Contact = &sim.Contact{Name: xss, Company: xss}
		missed := e.story("cloudcdr", sim.Missed)
		missed.Contact = &sim.Contact{Name: xss}
		ipex := e.source("ipex", "")
		login := e.story("voipex", sim.AgentLogin)
		pause := e.story("voipex", sim.AgentPause)
		pause.Start = login.Start.Add(time.Second)
		pause.PauseReason = xss
		for _, s := range []sim.Story{ans, missed} {
			e.send(cloud, s, 0, all)
		}
		e.send(ipex, login, 0, all)
		e.send(ipex, pause, 0, all)

		cardPerson := e.login("admin")
		cardPerson.t = t
		cardPerson.goTo("/calls/" + storyCallID(cloud, ans))
		for _, p := range []*person{sup, mgr, petr, cardPerson} {
			p.waitFor("the vendor's string as text", `document.body.textContent.includes(`+jsString(xss)+`)`)
			if p.eval(`document.querySelector("img[src='x']") === null && !document.body.innerHTML.includes("<img src=\"x\"")`) != "true" {
				t.Errorf("%s on %s: the vendor's string became markup", p.name, p.path())
			}
		}
		cardPerson.goTo("/cdrs?number=" + strings.TrimPrefix(ans.Caller, "+"))
		if !strings.Contains(cardPerson.eval(`document.body.textContent`), xss) || cardPerson.eval(`document.querySelector("img[src='x']") === null`) != "true" {
			t.Errorf("/cdrs search result: the contact name is not shown as text")
		}
	})

	t.Run("all-busy wait", func(t *testing.T) {
		e.t, sup.t = t, t
		sup.do(chromedp.EmulateViewport(1440, 900))
		sup.goTo("/wallboard")
		// Every agent busy: IncomingCall only, no phone rings. One caller dialed 900's
		// entry point, one a number no queue lists.
		pbx := e.source("pbx1", "rest4-json")
		inQueue, lost := e.story("simotel", sim.AllBusy), e.story("simotel", sim.AllBusy)
		lost.DID = "to_simo_51_20"
		e.send(pbx, inQueue, 0, time.Second)
		e.send(pbx, lost, 0, time.Second)
		tile, unq := "#"+views.DOMID("queue", "pbx1:900"), "#"+views.DOMID("queue", "pbx1:")
		sup.waitFor("the caller waiting in 900", `document.querySelector("`+tile+` .waiting .big").textContent.trim() === "1"`)
		sup.waitFor("the caller not yet in a queue", `document.querySelector("`+unq+`") !== null`)
		if got := sup.text(unq + " .tile-name"); got != "Not yet in a queue" {
			t.Errorf("unqueued tile name = %q", got)
		}
		if got := sup.text("#summary .kpi-value"); got != "2" {
			t.Errorf("summary waiting = %q, want 2", got)
		}
		sup.shot("wallboard-all-busy")
		tv := e.login("sup")
		tv.t = t
		tv.do(chromedp.EmulateViewport(1920, 1080))
		tv.goTo("/wallboard?tv=1")
		tv.waitFor("the waiting tile on TV", `document.querySelector("`+unq+`") !== null`)
		tv.shot("wallboard-all-busy-tv")
		// Both callers give up: the records end the calls; the unqueued tile goes away.
		e.send(pbx, inQueue, time.Second, all)
		e.send(pbx, lost, time.Second, all)
		sup.waitFor("nobody waiting in 900", `document.querySelector("`+tile+` .waiting .big").textContent.trim() === "0"`)
		sup.waitFor("the unqueued tile removed", `document.querySelector("`+unq+`") === null`)
	})

	t.Run("screenshots", func(t *testing.T) {
		defer t.Logf("screenshots of every page, desktop and TV: %s", *screenshots)
		admin.t = t
		admin.goTo("/settings")
		admin.shot("settings")
		running := e.srv.cfg()
		e.srv.SetConfigLoader(func() (*config.Config, error) { return running, nil })
		admin.do(chromedp.Click(chromedp.CSS("#reload-config")))
		admin.waitFor("the reload note", `document.querySelector("#reload-note") !== null`)
		if note := admin.text("#reload-note"); !strings.Contains(note, "reloaded at") {
			t.Errorf("after pressing reload: %q", note)
		}
		admin.shot("settings-reloaded")
		admin.do(chromedp.EmulateViewport(1920, 1080))
		admin.goTo("/wallboard?tv=1")
		admin.shot("wallboard-tv")
		admin.goTo("/wallboard")
		admin.shot("wallboard-1080")
		in := e.open("login")
		in.t = t
		in.goTo("/login")
		in.shot("login")
	})
}

func recordingName(e *browserEnv, st sim.Story) string {
	return st.Start.In(e.pbx.Location).Format("20060102") + "_" + st.ID + ".mp3"
}

func mp3(t *testing.T) []byte {
	b, err := os.ReadFile("simotel/testdata/20210116_1610778618.378.mp3")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type playResult struct {
	Duration float64 `json:"duration"`
	Time     float64 `json:"time"`
	Error    string  `json:"error"`
}

// playAndSeek plays the call card's recording, seeks past the middle and lets it play on.
const playAndSeek = `(async () => {
	const a = document.querySelector("#recordings audio")
	a.muted = true
	try {
		await a.play()
		await new Promise(r => setTimeout(r, 200))
		const seeked = new Promise((ok, fail) => { a.addEventListener("seeked", ok, {once: true}); setTimeout(() => fail(new Error("no seeked event")), 5000) })
		a.currentTime = a.duration * 0.6
		await seeked
		await new Promise(r => setTimeout(r, 100))
		return {duration: a.duration, time: a.currentTime, error: a.error ? "media error " + a.error.code : ""}
	} catch (err) {
		return {duration: a.duration || 0, time: a.currentTime, error: String(err) + (a.error ? " media error " + a.error.code : "")}
	}
})()`

type rangeResult struct {
	Status       int    `json:"status"`
	ContentRange string `json:"contentRange"`
	Body         string `json:"body"` // base64
}

// fetchRange asks the recording proxy for bytes 1000-2999 with the page's session.
const fetchRange = `(async () => {
	const r = await fetch(%s, {headers: {Range: "bytes=1000-2999"}})
	const b = new Uint8Array(await r.arrayBuffer())
	let s = ""
	for (const x of b) s += String.fromCharCode(x)
	return {status: r.status, contentRange: r.headers.get("Content-Range") || "", body: btoa(s)}
})()`

func headerBasicAuth(h http.Header) (user, pass string, ok bool) {
	r := http.Request{Header: h}
	return r.BasicAuth()
}

func serviceList(reqs []simotel.FakeRequest) string {
	var out []string
	for _, r := range reqs {
		out = append(out, fmt.Sprintf("%s Range=%q → %d", r.Service, r.Header.Get("Range"), r.Status))
	}
	return strings.Join(out, "; ")
}
