package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/call"
	"ringside/server/sim"
	"ringside/views"
)

// untranslated lists what a page shows that comes from no catalog: visible text nodes
// and aria-label, title and placeholder attributes with ASCII letters outside the
// pseudo-language's ⟦brackets⟧. Vendor data (inside translate="no": names, queues,
// pause reasons, ids) is excepted; figures and phone numbers have no letters.
const untranslated = `(() => {
	const out = [];
	const notYet = "#no-such-element";
	const bad = (s) => /[A-Za-z]/.test(s.replace(/⟦[^⟧]*⟧/g, ""));
	const vendor = (el) => el && el.closest && el.closest('[translate="no"]');
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const el = n.parentElement;
		if (!el || vendor(el) || el.closest("script,style,template,code," + notYet)) continue;
		if (!el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
		if (bad(n.textContent)) out.push(el.tagName + ": " + n.textContent.trim());
	}
	for (const el of document.querySelectorAll("[aria-label],[title],[placeholder]")) {
		if (vendor(el) || el.closest(notYet)) continue;
		for (const a of ["aria-label", "title", "placeholder"]) {
			const v = el.getAttribute(a);
			if (v && bad(v)) out.push(el.tagName + " @" + a + ": " + v);
		}
	}
	return JSON.stringify(out);
})()`

// Every page in the pseudo-language: any English word left is text outside the
// catalogs. The pages hold what makes them say most: a screen-pop, a voicemail, a
// caller to call back (and the toast of taking them), a call card with its timeline,
// the reports' three views, the settings, an error page and the sign-in page.
func TestBrowserPseudoLanguage(t *testing.T) {
	e := startBrowser(t)
	e.t = t
	admin, sup, petr := e.login("admin"), e.login("sup"), e.login("petr")
	for _, p := range []*person{admin, sup, petr} {
		p.t = t
		p.goTo("/")
		p.eval(`(window.langDone = 0, fetch("/lang", {method: "POST", headers: {"X-CSRF-Token": JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"], "Content-Type": "application/x-www-form-urlencoded"}, body: "lang=en-XA"}).then(() => { window.langDone = 1 }), 1)`)
		p.waitFor("the pseudo-language kept", `window.langDone === 1`)
	}
	st := e.story("simotel", sim.QueueAnswered)
	st.Chain = []sim.Attempt{attempt(simPetr, 2, 4, call.OutcomeAnswer)}
	st.Agent, st.Answer, st.End = simPetr, 4*storySec, 20*storySec
	missed := e.story("simotel", sim.Missed)
	e.send(e.pbx, missed, 0, all)
	e.sendVoicemail(missed.Caller)
	e.send(e.pbx, st, 0, 3*storySec) // ringing at Petr: a pop card, a call row, a queue tile
	id := storyCallID(e.pbx, st)
	petr.goTo("/agent")
	petr.waitFor("the screen-pop", fmt.Sprintf(`document.querySelector(%s)`, jsString("#"+views.DOMID("pop", id))))
	petr.waitFor("the voicemail", `document.querySelector("#voicemail-rows .voicemail")`)
	pages := []struct {
		p    *person
		path string
	}{{sup, "/wallboard"}, {sup, "/wallboard?tv=1"}, {sup, "/cdrs"}, {sup, "/calls/" + url.PathEscape(id)},
		{sup, "/calls/" + url.PathEscape(storyCallID(e.pbx, missed))}, {sup, "/calls/no-such-call"},
		{sup, "/reports?view=queues"}, {sup, "/reports?view=queues&by=day&period=last_7_days"}, {sup, "/reports?view=agents"},
		{sup, "/reports?view=distribution"}, {admin, "/settings"}, {petr, "/agent"},
		{admin, "/agent"}, {admin, "/agent?agent=petr"}, {admin, "/no/such/page"}}
	for _, pg := range pages {
		pg.p.goTo(pg.path)
		if lang := pg.p.eval(`document.documentElement.lang`); lang != "en-XA" {
			t.Fatalf("%s in %q, want en-XA", pg.path, lang)
		}
		if got := pg.p.eval(untranslated); got != "[]" {
			t.Errorf("%s shows text from no catalog: %s", pg.path, got)
		}
	}
	// a caller to call back, taken: the row says who calls back, the toast says so too
	sup.goTo("/wallboard")
	sup.do(chromedp.Click(chromedp.CSS(`[data-number="` + missed.Caller + `"] button[hx-post="/callbacks/take"]`)))
	sup.waitFor("the toast", `(document.querySelector("#toast") || {}).textContent.trim() !== ""`)
	if got := sup.eval(untranslated); got != "[]" {
		t.Errorf("the wallboard after taking a caller shows text from no catalog: %s", got)
	}
	admin.goTo("/settings")
	admin.do(chromedp.Click(chromedp.CSS(`[data-reveal]`)))
	if got := admin.eval(untranslated); got != "[]" {
		t.Errorf("the settings with a secret shown show text from no catalog: %s", got)
	}
	out := e.open("nobody")
	out.goTo("/login")
	out.eval(`(document.cookie = "ringside_lang=en-XA; path=/", 1)`)
	out.waitFor("the language cookie", `document.cookie.includes("ringside_lang=en-XA")`)
	out.goTo("/login")
	if lang := out.eval(`document.documentElement.lang`); lang != "en-XA" {
		t.Fatalf("login in %q, want en-XA", lang)
	}
	if got := out.eval(untranslated); got != "[]" {
		t.Errorf("/login shows text from no catalog: %s", got)
	}
}

// sendVoicemail posts the Simotel VoiceMail event (as its documentation shows it) of a
// message caller left just now in mailbox 991, Petr's.
func (e *browserEnv) sendVoicemail(caller string) {
	e.t.Helper()
	src, _ := e.cfg.Source("pbx1")
	now := time.Now().In(src.Location)
	body := fmt.Sprintf(`{"event_name":"VoiceMail","id":"5fedc3b31b05af98%08d","number":"991","state":"SUCCESS",`+
		`"date":%q,"filename":"991_%d-vm-record-file-1.wav","duration":"12","caller":%q}`,
		e.n, now.Format("2006-01-02 15:04:05.000000"), now.Unix(), caller)
	req, err := http.NewRequest("POST", e.url+"/hooks/pbx1", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sim.Authorize(req.Header, e.pbx, []byte(body), time.Now())
	if code, resp := do(e.t, req); code != 200 {
		e.t.Fatalf("VoiceMail: %d %s", code, resp)
	}
}
