package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/sim"
	"ringside/views"
	"ringside/views/i18n"
)

// People who read Persian and Czech: their pages speak their language (Persian right
// to left, in the Jalali calendar and Persian digits, phone numbers in Latin digits),
// the same pushed change reaches each in theirs, and a language chosen in the header
// is kept.
func TestBrowserLanguages(t *testing.T) {
	teh, _ := time.LoadLocation("Asia/Tehran")
	prg, _ := time.LoadLocation("Europe/Prague")
	e := startBrowser(t, append(languageUsers(teh, prg),
		config.User{Name: "ali", PasswordHash: cheapHash(), Role: "agent", Agent: "petr", Lang: "fa", Timezone: "Asia/Tehran", Location: teh},
		config.User{Name: "maryam", PasswordHash: cheapHash(), Role: "supervisor", Lang: "fa", Timezone: "Asia/Tehran", Location: teh},
		config.User{Name: "eva", PasswordHash: cheapHash(), Role: "supervisor", Lang: "cs", Timezone: "Europe/Prague", Location: prg})...)
	e.t = t
	fa := i18n.New("fa", teh)
	cs := i18n.New("cs", prg)

	ali, maryam, eva := e.login("ali"), e.login("maryam"), e.login("eva")
	for _, p := range []*person{ali, maryam, eva} {
		p.t = t
	}
	ali.goTo("/agent")
	maryam.goTo("/wallboard")
	eva.goTo("/wallboard")
	for _, c := range []struct {
		p         *person
		lang, dir string
	}{{ali, "fa", "rtl"}, {maryam, "fa", "rtl"}, {eva, "cs", "ltr"}} {
		got := c.p.eval(`document.documentElement.lang + " " + document.documentElement.dir`)
		if got != c.lang+" "+c.dir {
			t.Errorf("%s: <html lang dir> = %q, want %s %s", c.p.name, got, c.lang, c.dir)
		}
	}
	if got, want := maryam.text("h1"), fa.T("wb_title"); got != want {
		t.Errorf("Persian wallboard title %q, want %q", got, want)
	}
	if got, want := eva.text("h1"), cs.T("wb_title"); got != want {
		t.Errorf("Czech wallboard title %q, want %q", got, want)
	}
	// the wallboard's date is today's in the Jalali calendar, Persian digits
	if got, want := maryam.text(".wb-title .muted"), fa.Date(time.Now(), false); !strings.Contains(got, want) {
		t.Errorf("Persian wallboard date %q lacks the Jalali day %q", got, want)
	}

	st := e.story("simotel", sim.QueueAnswered)
	st.Chain = []sim.Attempt{attempt(simPetr, 2, 4, call.OutcomeAnswer)}
	st.Agent, st.Answer, st.End = simPetr, 4*storySec, 20*storySec
	id := storyCallID(e.pbx, st)
	pop := "#" + views.DOMID("pop", id)
	tile := "#" + views.DOMID("queue", "pbx1:"+st.Queue)
	e.send(e.pbx, st, 0, 3*storySec)

	ali.waitFor("the Persian screen-pop", fmt.Sprintf(`document.querySelector(%s)`, jsString(pop)))
	popText := ali.text(pop)
	for _, want := range []string{fa.T("pop_ringing"), fa.T("pop_ring_chain"), fa.T("pop_queue"), st.Caller} {
		if !strings.Contains(popText, want) {
			t.Errorf("Persian screen-pop %q lacks %q", popText, want)
		}
	}
	if n := ali.text(pop + " .pop-number"); n != st.Caller {
		t.Errorf("the caller's number reads %q, want %q in Latin digits", n, st.Caller)
	}
	maryam.waitFor("a Persian ١ waiting", fmt.Sprintf(`(document.querySelector(%s + " .big") || {}).textContent === "۱"`, jsString(tile)))
	eva.waitFor("a Czech 1 waiting", fmt.Sprintf(`(document.querySelector(%s + " .big") || {}).textContent === "1"`, jsString(tile)))
	if got := eva.text(tile + " .waiting .label"); got != cs.N("tile_waiting", 1) {
		t.Errorf("Czech tile says %q, want %q", got, cs.N("tile_waiting", 1))
	}
	// timers tick in Persian digits too
	maryam.waitFor("a Persian timer", `/^[۰-۹:]+$/.test((document.querySelector(".timer[data-since]") || {}).textContent || "")`)
	maryam.shot("fa-wallboard")
	ali.shot("fa-agent-pop")
	eva.shot("cs-wallboard")
	maryam.goTo("/wallboard?tv=1")
	maryam.shot("fa-wallboard-tv")

	e.send(e.pbx, st, 3*storySec, all)
	ali.waitFor("the card ended", fmt.Sprintf(`(document.querySelector(%s + " .pop-head .badge") || {}).textContent.includes(%s)`, jsString(pop), jsString(fa.T("pop_ended"))))
	ali.notReloaded()
	// the call card: the Jalali date, Persian labels
	ali.goTo("/calls/" + url.PathEscape(id))
	if got, want := ali.text(".cc-when"), fa.Date(time.Now(), true); !strings.Contains(got, want) {
		t.Errorf("Persian call card date %q lacks the Jalali date %q", got, want)
	}
	if got := ali.text("main"); !strings.Contains(got, fa.T("cc_ring_chain")) || !strings.Contains(got, st.Caller) {
		t.Errorf("Persian call card lacks its labels or the caller: %q", got)
	}
	ali.shot("fa-callcard")
	maryam.goTo("/cdrs")
	maryam.shot("fa-cdrs")
	eva.goTo("/calls/" + url.PathEscape(id))
	if got, want := eva.text(".cc-when"), cs.Date(time.Now(), true); !strings.Contains(got, want) {
		t.Errorf("Czech call card date %q lacks %q", got, want)
	}
	eva.shot("cs-callcard")

	// Czech plural forms on the call records' count, server-rendered and live
	eva.goTo("/cdrs")
	eva.waitFor("the Czech count", fmt.Sprintf(`document.querySelector(".cdr-count").textContent.trim() === %s`, jsString(cs.N("cdr_count", 1))))
	for n := 2; n <= 5; n++ {
		more := e.story("simotel", sim.Missed)
		e.send(e.pbx, more, 0, all)
		if n == 2 || n == 5 {
			eva.waitFor(fmt.Sprintf("%d calls counted in Czech", n), fmt.Sprintf(`document.querySelector(".cdr-count").textContent.trim() === %s`, jsString(cs.N("cdr_count", n))))
		}
	}
	if got := eva.text(".cdr-count"); got != "5 hovorů" {
		t.Errorf("Czech count of five calls %q, want 5 hovorů", got)
	}
	eva.notReloaded()
	eva.shot("cs-cdrs")

	languageTour(t, e, teh, prg)

	// Eva picks French in the header; a new session of hers is French too.
	eva.do(chromedp.SetValue(chromedp.CSS(`.lang-menu select`), "fr"))
	eva.eval(`(() => { const s = document.querySelector(".lang-menu select"); if (s && s.value === "fr") s.dispatchEvent(new Event("change", {bubbles: true})); return 1 })()`)
	eva.waitFor("the page in French", `document.documentElement.lang === "fr" && document.readyState === "complete"`)
	if eva.path() != "/cdrs" {
		t.Errorf("after choosing a language Eva is on %s, want back on /cdrs", eva.path())
	}
	again := e.login("eva")
	again.t = t
	again.goTo("/wallboard")
	if got := again.eval(`document.documentElement.lang`); got != "fr" {
		t.Errorf("Eva's next session is in %q, want the fr she chose", got)
	}
}
