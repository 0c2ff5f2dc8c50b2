package server

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"ringside/server/config"
	"ringside/views/i18n"
)

// languageUsers are the Persian and Czech admins and the Czech agent of languageTour.
func languageUsers(teh, prg *time.Location) []config.User {
	return []config.User{
		{Name: "dariush", PasswordHash: cheapHash(), Role: "admin", Lang: "fa", Timezone: "Asia/Tehran", Location: teh},
		{Name: "jiri", PasswordHash: cheapHash(), Role: "admin", Lang: "cs", Timezone: "Europe/Prague", Location: prg},
		{Name: "katka", PasswordHash: cheapHash(), Role: "agent", Agent: "jana", Lang: "cs", Timezone: "Europe/Prague", Location: prg},
	}
}

// languageTour opens the pages TestBrowserLanguages does not, in Persian and Czech:
// reports (their period in the person's calendar, figures in their digits), settings,
// an error page, the sign-in page, the Czech TV wallboard and agent page; and takes
// a screenshot of each (make screenshots: web/screenshots/fa-*.png, cs-*.png).
func languageTour(t *testing.T, e *browserEnv, teh, prg *time.Location) {
	latin := regexp.MustCompile(`[0-9]`)
	for _, who := range []struct {
		name string
		l    *i18n.Locale
	}{{"dariush", i18n.New("fa", teh)}, {"jiri", i18n.New("cs", prg)}} {
		p := e.login(who.name)
		p.t = t
		lang := who.l.Lang
		p.goTo("/reports?view=queues&period=last_7_days")
		if got := p.text("h1"); got != who.l.T("nav_reports") {
			t.Errorf("%s reports title %q, want %q", lang, got, who.l.T("nav_reports"))
		}
		if got, want := p.text(".page-head .sub"), who.l.Date(time.Now(), true); !strings.Contains(got, want) {
			t.Errorf("%s reports period %q lacks today %q", lang, got, want)
		}
		figures := p.eval(`[...document.querySelectorAll("#report-queues td.num")].map(e => e.textContent).join(" ")`)
		if figures == "" || (lang == "fa") != !latin.MatchString(figures) {
			t.Errorf("%s report figures %q: want Persian digits only in Persian", lang, figures)
		}
		p.shot(lang + "-reports-queues")
		for _, v := range []string{"agents", "distribution"} {
			p.goTo("/reports?view=" + v + "&period=last_7_days")
			p.shot(lang + "-reports-" + v)
		}
		p.goTo("/settings")
		if got := p.text("h1"); got != who.l.T("nav_settings") {
			t.Errorf("%s settings title %q, want %q", lang, got, who.l.T("nav_settings"))
		}
		p.shot(lang + "-settings")
		p.goTo("/calls/no-such-call")
		if got := p.text("main"); !strings.Contains(got, who.l.T("error_no_call")) {
			t.Errorf("%s error page %q lacks %q", lang, got, who.l.T("error_no_call"))
		}
		p.shot(lang + "-error")
		if lang == "cs" {
			p.goTo("/wallboard?tv=1")
			p.shot("cs-wallboard-tv")
		}
	}
	katka := e.login("katka")
	katka.t = t
	katka.goTo("/agent")
	if got := katka.eval(`document.documentElement.lang + " " + document.documentElement.dir`); got != "cs ltr" {
		t.Errorf("Czech agent page: <html lang dir> %q", got)
	}
	katka.shot("cs-agent")
	for _, lang := range []string{"fa", "cs"} {
		out := e.open("nobody-" + lang)
		out.t = t
		out.goTo("/login")
		out.eval(fmt.Sprintf(`(document.cookie = "ringside_lang=%s; path=/", 1)`, lang))
		out.goTo("/login")
		if got := out.text("h1"); got != i18n.New(lang, nil).T("login_title") {
			t.Errorf("%s sign-in title %q", lang, got)
		}
		out.shot(lang + "-login")
	}
}
