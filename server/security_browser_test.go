package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"ringside/server/call"
	"ringside/server/sim"
	"ringside/store"
	"ringside/views"
)

// cookieNames lists the cookies the person's browser holds for the server.
func (p *person) cookieNames() []string {
	p.t.Helper()
	res, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{p.base + "/"}})
	if err != nil {
		p.t.Fatalf("%s: cookies: %v", p.name, err)
	}
	var names []string
	for _, c := range res.Cookies {
		names = append(names, c.Name)
	}
	return names
}

// TestBrowserAttacks performs the outside attack's two browser findings in Chromium.
func TestBrowserAttacks(t *testing.T) {
	e := startBrowser(t)

	// Issue: a recording URL with "\r\nSet-Cookie: ..." became the Location of the
	// /recordings redirect, and the manager who pressed play got the planted cookie.
	t.Run("recording redirect plants no cookie", func(t *testing.T) {
		e.t = t
		const planted = "https://rec.example.com/a.mp3\r\nSet-Cookie: planted=1; Path=/\r\nX-Planted: 1"
		// Through the door it is refused (400, kept).
		body := `{"event":"incoming_call_end","pbx_id":"crlf-1","caller":"+375290000009","receiver":"100","status":"answer",` +
			`"duration":10,"time":"` + time.Now().UTC().Format(time.RFC3339) + `","audio_path":"https://rec.example.com/a.mp3\r\nSet-Cookie: planted=1; Path=/"}`
		if code, resp := e.post("/hooks/sipsim", body, signedBy(signingSecret, body)); code != 400 {
			t.Fatalf("the poisoned delivery: %d %s, want 400", code, resp)
		}
		// A record an older version kept with that URL is refused at the redirect.
		now := time.Now().UTC()
		ev := call.Event{Source: "sipsim", Vendor: "sipsim", Name: "incoming_call_end", Type: call.CallEnded, Call: "sipsim:crlf-old",
			Direction: call.Inbound, From: "+375290000008", To: "100", At: now, ReceivedAt: now, EndedAt: &now,
			Disposition: call.Answered, Recordings: []string{planted}}
		if _, err := e.st.Append(context.Background(), store.Delivery{Source: "sipsim", Method: "POST", Body: []byte("older version"), ReceivedAt: now}, []call.Event{ev}); err != nil {
			t.Fatal(err)
		}
		mgr := e.login("mgr")
		mgr.t = t
		mgr.goTo("/calls/sipsim:crlf-old")
		src := mgr.eval(`(document.querySelector("#recordings audio") || {}).getAttribute?.("src") || ""`)
		if !strings.HasPrefix(src, "/recordings/") {
			t.Fatalf("the call card shows no recording player (src %q)", src)
		}
		status, err := chromedp.Run(mgr.ctx, chromedp.Evaluate[int](`fetch(`+jsString(src)+`, {redirect: "manual"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
		if err != nil || status != 403 {
			t.Errorf("pressing play: status %d %v, want 403 (a refused link)", status, err)
		}
		mgr.do(chromedp.Navigate(mgr.base + src)) // as the player does: a top-level load too
		for _, name := range mgr.cookieNames() {
			if name == "planted" {
				t.Fatalf("the manager's browser holds the planted cookie: %v", mgr.cookieNames())
			}
		}
		mgr.goTo("/cdrs")
		if mgr.path() != "/cdrs" {
			t.Errorf("the manager is no longer logged in: on %s", mgr.path())
		}
	})

	// Issue: the click-to-call answer echoed the caller number as HTML; htmx acted on an
	// injected hx-post and logged the supervisor out.
	t.Run("caller number is no htmx action", func(t *testing.T) {
		e.t = t
		const payload = `<b hx-post="/logout" hx-trigger="load">x</b>`
		sup := e.login("sup")
		sup.t = t
		sup.goTo("/cdrs")
		st := e.story("simotel", sim.Missed)
		st.Caller = payload
		e.send(e.pbx, st, 0, all)
		row := "#" + views.DOMID("cdr", storyCallID(e.pbx, st))
		sup.waitFor("the CDR row", fmt.Sprintf(`document.querySelector(%s)`, jsString(row)))
		// No PBX dials such a "number", so the row offers no call button (controls.go);
		// the request its button would send is sent anyway, from a button made the same way.
		if sup.eval(fmt.Sprintf(`document.querySelector(%s + " .call-btn") === null`, jsString(row))) != "true" {
			t.Error("the row offers a call button for a number no PBX dials")
		}
		sup.eval(fmt.Sprintf(`(() => {
			const b = document.createElement("button")
			b.className = "call-btn forged"
			b.setAttribute("hx-post", "/calls/originate")
			b.setAttribute("hx-vals", JSON.stringify({number: %s}))
			b.setAttribute("hx-include", "#call-as")
			b.setAttribute("hx-target", "#toast")
			b.setAttribute("hx-swap", "innerHTML")
			document.body.appendChild(b) // not in the row: a pushed update may replace the row
			htmx.process(b)
		})()`, jsString(payload)))
		before := len(e.fake.Requests())
		sup.do(chromedp.SetValue(chromedp.CSS("#call-as"), "petr"), chromedp.Click(chromedp.CSS(".call-btn.forged")))
		sup.waitFor("the answer in the toast", `document.getElementById("toast").textContent.includes(`+jsString(payload)+`)`)
		sup.shot("toast-refused-number")
		time.Sleep(500 * time.Millisecond) // room for an injected hx-trigger=load to fire
		if sup.eval(`document.querySelector("#toast b, #toast [hx-post]") === null`) != "true" {
			t.Errorf("the caller number became markup in the toast: %s", sup.eval(`document.getElementById("toast").innerHTML`))
		}
		for _, r := range e.fake.Requests()[before:] {
			if r.Service == "call/originate/act" {
				t.Errorf("the PBX was asked to dial %q", r.Field("callee"))
			}
		}
		// "I'll call" on the wallboard's callback list echoes the number in its answer.
		sup.goTo("/wallboard")
		take := fmt.Sprintf(`document.querySelector(%s)`, jsString("#"+views.DOMID("callback", payload)+` [hx-post="/callbacks/take"]`))
		sup.waitFor("the caller on the callback list", take)
		sup.eval(take + `.click()`)
		sup.waitFor("the callback answer in the toast", `document.getElementById("toast").textContent.includes("calling "+`+jsString(payload)+`)`)
		time.Sleep(500 * time.Millisecond)
		if sup.eval(`document.querySelector("#toast b, #toast [hx-post]") === null`) != "true" {
			t.Errorf("the caller number became markup in the toast: %s", sup.eval(`document.getElementById("toast").innerHTML`))
		}
		sup.goTo("/wallboard")
		if sup.path() != "/wallboard" {
			t.Fatalf("the supervisor was logged out: on %s", sup.path())
		}
		// The same markup inside a message htmx swaps in is text too (a toast that echoes
		// server text, as an accepted call's confirmation does).
		got, err := chromedp.Run(sup.ctx, chromedp.Evaluate[string](`(async () => {
			const t = document.getElementById("toast")
			htmx.swap(t, '<span hx-disable>'+`+jsString(payload)+`+'</span>', {swapStyle: "innerHTML"})
			await new Promise(r => setTimeout(r, 500))
			return String(htmx.config.allowEval) + " " + location.pathname
		})()`, chromedp.EvalAwaitPromise))
		if err != nil || got != "false /wallboard" {
			t.Errorf("htmx config and page after a swap of markup: %q %v, want allowEval false and still /wallboard", got, err)
		}
		sup.goTo("/wallboard")
		if sup.path() != "/wallboard" {
			t.Fatalf("the supervisor was logged out after the swap: on %s", sup.path())
		}
	})
}
