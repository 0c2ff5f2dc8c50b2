package server

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"ringside/server/call"
	"ringside/server/sim"
)

// contrastJS computes the contrast of every visible text against its effective
// background (see the file) and returns the failures.
//
//go:embed testdata/contrast.js
var contrastJS string

type contrastReport struct {
	Checked int `json:"checked"`
	Fails   []struct {
		El, Text, Fg, Bg string
		Ratio, Need      float64
	} `json:"fails"`
}

// contrast runs contrastJS on p's page.
func (p *person) contrast() contrastReport {
	p.t.Helper()
	var r contrastReport
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify(`+contrastJS+`)`)), &r); err != nil {
		p.t.Fatalf("contrast report: %v", err)
	}
	return r
}

// scheme makes the browser prefer a light or dark colour scheme.
func (p *person) scheme(s string) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}}})
		return err
	}))
}

// a11yPages fills the board with calls of every kind and returns who looks at what.
func a11yPages(t *testing.T, e *browserEnv) (pages map[string]*person, paths map[string]string) {
	sup, petr, admin, anon := e.login("sup"), e.login("petr"), e.login("admin"), e.open("anon")
	answered := e.story("simotel", sim.QueueAnswered) // answered by Petr, recorded
	answered.Chain = []sim.Attempt{attempt(simJana, 2, 3, call.OutcomeNoAnswer), attempt(simPetr, 3, 4, call.OutcomeAnswer)}
	answered.Agent, answered.Answer, answered.End = simPetr, 4*storySec, 20*storySec
	e.send(e.pbx, answered, 0, all)
	e.send(e.pbx, e.story("simotel", sim.Missed), 0, all) // a caller to call back
	ringing := e.story("simotel", sim.QueueAnswered)      // ringing at Petr now
	ringing.Chain = []sim.Attempt{attempt(simPetr, 2, 60, call.OutcomeAnswer)}
	e.send(e.pbx, ringing, 0, 3*storySec)
	ipex := e.source("ipex", "")
	login, pause := e.story("voipex", sim.AgentLogin), e.story("voipex", sim.AgentPause)
	pause.Agent, login.Agent = simJana, simJana
	pause.Start = login.Start.Add(time.Second)
	e.send(ipex, login, 0, all)
	e.send(ipex, pause, 0, all)
	eva := sim.Agent{Ext: "995", Login: "eva", Name: "Eva", Number: "+375290000009"}
	cl := e.story("cloudcdr", sim.QueueAnswered)
	cl.Chain = []sim.Attempt{attempt(eva, 2, 10, call.OutcomeAnswer)}
	cl.Agent, cl.Answer, cl.End = eva, 10*storySec, 30*storySec
	e.send(e.source("cloud", ""), cl, 0, all)

	pages = map[string]*person{"wallboard": sup, "cdrs": sup, "call-card": sup, "reports": sup,
		"agent": petr, "settings": admin, "login": anon, "error": sup}
	paths = map[string]string{"wallboard": "/wallboard", "cdrs": "/cdrs", "call-card": "/calls/" + storyCallID(e.pbx, answered),
		"reports": "/reports", "agent": "/agent", "settings": "/settings", "login": "/login", "error": "/calls/nope"}
	for _, p := range pages {
		p.t = t
	}
	return pages, paths
}

var a11yOrder = []string{"wallboard", "agent", "cdrs", "call-card", "reports", "settings", "login", "error"}

// Every page, light and dark, and the TV wallboard: each visible text meets WCAG AA
// contrast against what is behind it.
func TestContrastInBrowser(t *testing.T) {
	e := startBrowser(t)
	pages, paths := a11yPages(t, e)
	type view struct{ page, scheme string }
	views := []view{{"wallboard-tv", "light"}}
	for _, name := range a11yOrder {
		views = append(views, view{name, "light"}, view{name, "dark"})
	}
	total := 0
	for _, v := range views {
		p, path := pages[v.page], paths[v.page]
		if v.page == "wallboard-tv" {
			p, path = pages["wallboard"], "/wallboard?tv=1"
		}
		p.do(chromedp.EmulateViewport(1440, 900))
		p.scheme(v.scheme)
		if v.page == "login" {
			p.do(chromedp.Navigate(p.base + path))
			p.waitFor("the form", `document.readyState === "complete"`)
		} else {
			p.goTo(path)
		}
		if v.page == "reports" {
			p.waitFor("the report", `document.querySelector(".chart")`)
		}
		r := p.contrast()
		if r.Checked < 5 {
			t.Errorf("%s (%s): only %d texts checked", v.page, v.scheme, r.Checked)
		}
		total += r.Checked
		for _, f := range r.Fails {
			t.Errorf("%s (%s): %s %q: %.2f:1 (%s on %s), needs %.1f:1", v.page, v.scheme, f.El, f.Text, f.Ratio, f.Fg, f.Bg, f.Need)
		}
		if v.scheme == "dark" {
			p.shot("dark-" + v.page)
		}
	}
	t.Logf("%d texts checked on %d views", total, len(views))
}

// Every control of every page is reached with Tab, and shows where the focus is.
func TestKeyboardInBrowser(t *testing.T) {
	e := startBrowser(t)
	pages, paths := a11yPages(t, e)
	for _, name := range a11yOrder {
		p := pages[name]
		p.do(chromedp.EmulateViewport(1440, 900))
		if name == "login" {
			p.do(chromedp.Navigate(p.base + paths[name]))
			p.waitFor("the form", `document.readyState === "complete"`)
		} else {
			p.goTo(paths[name])
		}
		controls := p.eval(`(window.a11yControls = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, audio[controls], summary, [tabindex]')]
			.filter(el => el.tabIndex >= 0 && !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility === 'visible' && !el.closest('[hidden], [inert]'))).length`)
		var n int
		fmt.Sscan(controls, &n)
		if n == 0 {
			t.Errorf("%s: no controls found", name)
			continue
		}
		p.eval(`document.activeElement && document.activeElement.blur(), window.a11ySeen = new Set(), window.a11yBad = []`)
		for range 4*n + 20 { // an audio player takes several stops
			p.do(chromedp.KeyEvent(kb.Tab))
			done := p.eval(`(() => {
				const el = document.activeElement
				if (el && el !== document.body && !a11ySeen.has(el)) {
					a11ySeen.add(el)
					const cs = getComputedStyle(el)
					const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || (cs.boxShadow !== 'none' && cs.boxShadow !== '')
					if (!ring) a11yBad.push(el.outerHTML.slice(0, 90))
				}
				return a11yControls.every(c => a11ySeen.has(c))
			})()`)
			if done == "true" {
				break
			}
		}
		if missed := p.eval(`a11yControls.filter(el => !a11ySeen.has(el) && el.isConnected && el.getClientRects().length > 0).map(el => el.outerHTML.slice(0, 90)).join("\n")`); missed != "" {
			t.Errorf("%s: Tab never reaches:\n%s", name, missed)
		}
		if bad := p.eval(`a11yBad.join("\n")`); bad != "" {
			t.Errorf("%s: focus not visible on:\n%s", name, bad)
		}
	}
}

// The agent page, the call card and the call records fit a 390 px phone: nothing wider
// than the screen, no table to scroll sideways.
func TestPhoneLayoutInBrowser(t *testing.T) {
	e := startBrowser(t)
	pages, paths := a11yPages(t, e)
	for _, name := range []string{"agent", "call-card", "cdrs"} {
		p := pages[name]
		p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		p.goTo(paths[name])
		if w := p.eval(`document.documentElement.scrollWidth + " " + window.innerWidth`); !sameWidth(w) {
			t.Errorf("%s at 390 px: page %s wide (scrollWidth innerWidth)", name, w)
		}
		if wide := p.eval(`[...document.querySelectorAll("main *")].filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible" && el.clientWidth > 0).map(el => el.tagName + "." + el.className + " " + el.scrollWidth + ">" + el.clientWidth).join("; ")`); wide != "" {
			t.Errorf("%s at 390 px scrolls sideways inside: %s", name, wide)
		}
		p.shot("phone-" + name)
	}
}

func sameWidth(s string) bool {
	var a, b int
	fmt.Sscan(strings.TrimSpace(s), &a, &b)
	return a > 0 && a <= b
}
