package server

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/config"
	"ringside/server/sim"
)

// tvLook is what a TV wallboard shows at one moment.
type tvLook struct {
	Agents     int      `json:"agents"`     // agent rows on the page
	Shown      []string `json:"shown"`      // the agents on the visible page
	Ranks      []int    `json:"ranks"`      // every row's state rank, in page order
	Cut        []string `json:"cut"`        // visible rows or tiles not wholly inside their panel or the screen
	AgentPage  string   `json:"agentPage"`  // the agents panel's "page n of m"
	Tiles      int      `json:"tiles"`      // queue tiles on the page
	TilesShown []string `json:"tilesShown"` // the tiles on the visible page
	Small      []string `json:"small"`      // visible texts under 22 px
	Names      float64  `json:"names"`      // the agent names' font size, px
	Clipped    []string `json:"clipped"`    // timers whose text does not fit their cell
	ChartText  float64  `json:"chartText"`  // the smallest chart label's font size on screen, px
	Font       bool     `json:"font"`       // the bundled font is loaded
	Scroll     bool     `json:"scroll"`     // the page scrolls
}

// lookTV measures the TV page (a 1920×1080 viewport).
const lookTV = `(() => {
	const vis = (el) => el.offsetParent !== null && !el.closest('.off-page,[hidden]')
	const inside = (el, box) => { const r = el.getBoundingClientRect(), b = box.getBoundingClientRect(); return r.top >= b.top - 1 && r.bottom <= b.bottom + 1 && r.left >= b.left - 1 && r.right <= b.right + 1 }
	const rows = [...document.querySelectorAll('#agent-rows > .tr')]
	const tiles = [...document.querySelectorAll('#queue-tiles > .tile')]
	const screen = document.documentElement
	const cut = []
	for (const r of rows.filter(vis)) if (!inside(r, r.closest('.panel'))) cut.push(r.id)
	for (const r of document.querySelectorAll('#call-rows > .tr')) if (vis(r) && !inside(r, r.closest('.panel'))) cut.push(r.id)
	for (const t of tiles.filter(vis)) if (!inside(t, screen)) cut.push(t.id)
	const small = []
	for (const el of document.querySelectorAll('.wb *')) {
		if (!vis(el) || el.closest('svg')) continue
		const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '')
		if (!own) continue
		const px = parseFloat(getComputedStyle(el).fontSize)
		if (px > 0 && px < 22) small.push((el.className || el.tagName) + ' ' + px + 'px: ' + el.textContent.trim().slice(0, 20))
	}
	const clipped = []
	for (const t of document.querySelectorAll('#agent-rows .timer, #call-rows .timer, .tile .timer')) {
		if (vis(t) && t.scrollWidth > t.clientWidth + 1) clipped.push(t.closest('[id]').id + ': ' + t.textContent)
	}
	let chartText = 1e9
	const svg = document.querySelector('.tv-chart')
	const scale = svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 0
	for (const t of document.querySelectorAll('.tv-chart text')) {
		chartText = Math.min(chartText, parseFloat(getComputedStyle(t).fontSize) * scale)
	}
	const name = document.querySelector('#agent-rows > .tr:not(.off-page) .name')
	return {
		agents: rows.length, shown: rows.filter(vis).map((r) => r.id), ranks: rows.map((r) => parseInt(r.dataset.rank, 10)),
		cut, agentPage: (document.querySelector('[data-page-of="agent-rows"]:not([hidden])') || {}).textContent || '',
		tiles: tiles.length, tilesShown: tiles.filter(vis).map((t) => t.id), small, clipped, chartText,
		names: name ? parseFloat(getComputedStyle(name).fontSize) : 0,
		font: [...document.fonts].some((f) => f.family.replace(/"/g, '') === 'Ringside Sans' && f.status === 'loaded'),
		scroll: screen.scrollHeight > innerHeight + 1 || screen.scrollWidth > innerWidth + 1,
	}
})()`

func (p *person) lookTV() tvLook {
	p.t.Helper()
	var l tvLook
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify(`+lookTV+`)`)), &l); err != nil {
		p.t.Fatal(err)
	}
	return l
}

// The TV wallboard of a call center with 8 queues and 60 agents (the demo's four
// vendors, 15 agents each, after a while of traffic), on a 1920×1080 wall screen in
// English and in Persian (right to left): the agents are grouped by state; the lists
// that do not fit show a page at a time and turn, so that every agent and every queue
// comes up, no row is cut or faded; texts are large enough for 5 m, timers are never
// clipped, the chart's labels are legible, and the bundled font is the one in use.
func TestTVWallboardPagesThroughEveryone(t *testing.T) {
	const pageS = 3
	e := startDemo(t, sim.Options{AgentsPerSource: 15, Speed: 30}, func(cfg *config.Config) {
		cfg.TVPageS = pageS
		cfg.Users = append(cfg.Users, config.User{Name: "supfa", PasswordHash: cheapHash(), Role: "supervisor", Lang: "fa"})
	})
	e.play()
	time.Sleep(25 * time.Second) // agents log in, pause, take calls; queues fill
	e.stop()
	for _, lang := range []struct{ user, name string }{{"sup", "en"}, {"supfa", "fa"}} {
		t.Run(lang.name, func(t *testing.T) {
			e.t = t
			tv := e.login(lang.user)
			tv.t = t
			tv.do(chromedp.EmulateViewport(1920, 1080))
			tv.goTo("/wallboard?tv=1")
			tv.waitFor("the bundled font", `document.fonts.status === "loaded"`)
			first := tv.lookTV()
			tv.shot("tv-60-agents-" + lang.name)
			if first.Agents != 60 || first.Tiles < 8 {
				t.Fatalf("%d agents and %d queue tiles on the page, want 60 and 8 or more (waiting callers not yet in a queue have one)", first.Agents, first.Tiles)
			}
			if !slices.IsSorted(first.Ranks) {
				t.Errorf("agents not grouped by state (on call, ringing, paused, available, offline): ranks %v", first.Ranks)
			}
			if len(first.Shown) == 0 || len(first.Shown) == 60 {
				t.Errorf("%d of 60 agents shown at once: want a page of them", len(first.Shown))
			}
			if first.AgentPage == "" {
				t.Error(`the agents panel does not say which page it shows`)
			}
			seen, tiles := map[string]bool{}, map[string]bool{}
			pages := (60 + len(first.Shown) - 1) / len(first.Shown)
			look := first
			for turn := 0; ; turn++ {
				for _, id := range look.Shown {
					seen[id] = true
				}
				for _, id := range look.TilesShown {
					tiles[id] = true
				}
				checkTVLook(t, lang.name, look)
				if turn == pages || len(seen) == 60 && len(tiles) == look.Tiles {
					break
				}
				before := strings.Join(look.Shown, ",")
				tv.waitFor("the next page of agents", `[...document.querySelectorAll("#agent-rows > .tr:not(.off-page)")].map(r => r.id).join(",") !== `+jsString(before))
				time.Sleep(200 * time.Millisecond)
				look = tv.lookTV()
				if turn == 0 {
					tv.shot("tv-60-agents-" + lang.name + "-page-2")
				}
			}
			if len(seen) != 60 || len(tiles) != look.Tiles {
				t.Errorf("after %d turns the TV had shown %d of 60 agents and %d of %d queues", pages, len(seen), len(tiles), look.Tiles)
			}
			if lang.name == "fa" {
				if dir := tv.eval(`document.documentElement.dir`); dir != "rtl" {
					t.Errorf("fa TV page dir = %q", dir)
				}
				if txt := tv.text(`[data-page-of="agent-rows"]`); !strings.ContainsAny(txt, "۱۲۳۴۵۶۷۸۹") {
					t.Errorf("fa page note %q lacks Persian digits", txt)
				}
			}
		})
	}
}

func checkTVLook(t *testing.T, lang string, l tvLook) {
	t.Helper()
	problems := map[string][]string{"cut off": l.Cut, "too small": l.Small, "clipped timers": l.Clipped}
	for what, list := range problems {
		if len(list) > 0 {
			t.Errorf("%s: %s: %v", lang, what, list)
		}
	}
	if l.Names < 30 {
		t.Errorf("%s: agent names are %.1f px, want at least 30 px on a 1080p wall", lang, l.Names)
	}
	if l.ChartText < 22 {
		t.Errorf("%s: chart labels are %.1f px, want at least 22", lang, l.ChartText)
	}
	if !l.Font {
		t.Errorf("%s: the bundled font is not in use", lang)
	}
	if l.Scroll {
		t.Errorf("%s: the TV page scrolls", lang)
	}
}
