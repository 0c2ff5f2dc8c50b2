package server

import (
	"encoding/json"
	"maps"
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
	Callbacks  int      `json:"callbacks"`  // callers-to-call-back rows on the visible page
	Tiles      int      `json:"tiles"`      // queue tiles on the page
	TilesShown []string `json:"tilesShown"` // the tiles on the visible page
	Small      []string `json:"small"`      // visible texts under 22 px
	Names      float64  `json:"names"`      // the agent names' font size, px
	Clipped    []string `json:"clipped"`    // timers whose text does not fit their cell
	ChartText  float64  `json:"chartText"`  // the smallest chart label's font size on screen, px
	Font       bool     `json:"font"`       // the bundled font is loaded
	Scroll     bool     `json:"scroll"`     // the page scrolls
	// Longer names and numbers, cut to fit: each must keep its first letters in view (a
	// Latin name in a Persian page is cut on the right, a Persian one in an English page
	// on the left) and run in its own direction.
	CutShort []string `json:"cutShort"` // visible names and numbers that do not fit and are cut
	WrongEnd []string `json:"wrongEnd"` // ... cut at their start, or laid out in the page's direction
}

// lookTV measures the TV page (a 1920×1080 viewport).
const lookTV = `(() => {
	const vis = (el) => el.offsetParent !== null && !el.closest('.off-page,[hidden]')
	const inside = (el, box) => { const r = el.getBoundingClientRect(), b = box.getBoundingClientRect(); return r.top >= b.top - 1 && r.bottom <= b.bottom + 1 && r.left >= b.left - 1 && r.right <= b.right + 1 }
	// clear: el is wholly inside its panel and above the fade at the panel's foot, if any
	const clear = (el) => { const p = el.closest('.panel'), fade = parseFloat(getComputedStyle(p, '::after').height) || 0; return inside(el, p) && el.getBoundingClientRect().bottom <= p.getBoundingClientRect().bottom - fade + 1 }
	const rows = [...document.querySelectorAll('#agent-rows > .tr')]
	const tiles = [...document.querySelectorAll('#queue-tiles > .tile')]
	const screen = document.documentElement
	const cut = []
	for (const r of rows.filter(vis)) if (!clear(r)) cut.push(r.id)
	const callbacks = [...document.querySelectorAll('#callback-rows > .tr')]
	for (const r of [...document.querySelectorAll('#call-rows > .tr'), ...callbacks]) if (vis(r) && !clear(r)) cut.push(r.id)
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
	const cutShort = [], wrongEnd = []
	for (const el of document.querySelectorAll('#agent-rows .name, #agent-rows .reason, #call-rows .cut-end, #callback-rows .cut-end, .tile-name')) {
		if (!vis(el)) continue
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT)
		let node = walk.nextNode()
		while (node && node.textContent.trim() === '') node = walk.nextNode()
		if (!node) continue
		let clip = el
		while (clip.parentElement && getComputedStyle(clip).overflowX === 'visible') clip = clip.parentElement
		const box = clip.getBoundingClientRect(), all = document.createRange()
		all.selectNodeContents(el)
		const text = el.textContent.trim()
		const letter = text.match(/\p{L}/u)
		const want = letter && /[\u0590-\u08ff\ufb1d-\ufefc]/.test(letter[0]) ? 'rtl' : 'ltr'
		const word = want === 'rtl' && el.matches('.phone') // "unknown caller" in Persian where a number goes
		if (!word && getComputedStyle(el).direction !== want) wrongEnd.push(text + ': laid out ' + getComputedStyle(el).direction)
		if (all.getBoundingClientRect().width <= box.width + 1) continue
		cutShort.push(text)
		const at = node.textContent.search(/\S/), first = document.createRange()
		first.setStart(node, at)
		first.setEnd(node, at + 1)
		const f = first.getBoundingClientRect()
		if (f.left < box.left - 1 || f.right > box.right + 1) wrongEnd.push(text + ': its first letter is cut off')
	}
	const name = document.querySelector('#agent-rows > .tr:not(.off-page) .name')
	return {
		agents: rows.length, shown: rows.filter(vis).map((r) => r.id), ranks: rows.map((r) => parseInt(r.dataset.rank, 10)),
		cut, callbacks: callbacks.filter(vis).length, agentPage: (document.querySelector('[data-page-of="agent-rows"]:not([hidden])') || {}).textContent || '',
		tiles: tiles.length, tilesShown: tiles.filter(vis).map((t) => t.id), small, clipped, chartText, cutShort, wrongEnd,
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
// comes up, no row (agent, active call, caller to call back) is cut or faded; texts are large enough for 5 m, timers are never
// clipped, the chart's labels are legible, and the bundled font is the one in use.
// Two agents have names too long for their cell, one Latin and one Persian: on either
// page each is cut at its own end, so its first letters stay in view.
func TestTVWallboardPagesThroughEveryone(t *testing.T) {
	const pageS = 3
	const latin, persian = "Maximilian Featherstonehaugh-Wolfeschlegelstein", "محمدحسین شریعتمداری خراسانی‌نژاد"
	e := startDemo(t, sim.Options{AgentsPerSource: 15, Speed: 30}, func(cfg *config.Config) {
		cfg.TVPageS = pageS
		cfg.Agents[1].Name, cfg.Agents[16].Name = latin, persian
		cfg.Users = append(cfg.Users, config.User{Name: "supfa", PasswordHash: cheapHash(), Role: "supervisor", Lang: "fa"})
	})
	checkTVEmpty(t, e)
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
			seen, tiles, cutShort := map[string]bool{}, map[string]bool{}, map[string]bool{}
			callbacks := 0 // callers-to-call-back rows checked
			pages := (60 + len(first.Shown) - 1) / len(first.Shown)
			look := first
			for turn := 0; ; turn++ {
				for _, id := range look.Shown {
					seen[id] = true
				}
				for _, id := range look.TilesShown {
					tiles[id] = true
				}
				for _, s := range look.CutShort {
					cutShort[s] = true
				}
				callbacks += look.Callbacks
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
			t.Logf("%s: %d callback rows checked over %d turns", lang.name, callbacks, pages)
			if len(seen) != 60 || len(tiles) != look.Tiles {
				t.Errorf("after %d turns the TV had shown %d of 60 agents and %d of %d queues", pages, len(seen), len(tiles), look.Tiles)
			}
			if !cutShort[latin] || !cutShort[persian] {
				t.Errorf("the long names were not both shown cut short (so their cut was not checked): cut were %v", slices.Sorted(maps.Keys(cutShort)))
			}
			if lang.name == "fa" {
				if dir := tv.eval(`document.documentElement.dir`); dir != "rtl" {
					t.Errorf("fa TV page dir = %q", dir)
				}
				if txt := tv.text(`[data-page-of="agent-rows"]`); !strings.ContainsAny(txt, "۱۲۳۴۵۶۷۸۹") {
					t.Errorf("fa page note %q lacks Persian digits", txt)
				}
				if txt := tv.text(`#callback-count`); strings.ContainsAny(txt, "0123456789") {
					t.Errorf("fa count of callers to call back %q has Latin digits", txt)
				}
			}
		})
	}
}

// emptyLinesCut lists the TV's "nothing here" lines not wholly readable inside their
// panel (above the fade at its foot).
const emptyLinesCut = `(() => {
	const out = []
	for (const el of document.querySelectorAll('.wb .panel .empty')) {
		if (el.offsetParent === null) continue
		const panel = el.closest('.panel'), p = panel.getBoundingClientRect()
		const fade = parseFloat(getComputedStyle(panel, '::after').height) || 0
		const r = document.createRange()
		r.selectNodeContents(el)
		const b = r.getBoundingClientRect()
		if (b.height === 0 || b.top < p.top || b.bottom > p.bottom - fade || b.left < p.left || b.right > p.right) out.push(el.textContent.trim())
	}
	return out.join(" | ")
})()`

// checkTVEmpty opens the TV before any call, in both languages at a TV's and a desk
// screen's size: the empty lists say so in full (a Persian "no one to call back" once
// lost its second line under the panel's edge).
func checkTVEmpty(t *testing.T, e *demoEnv) {
	for _, lang := range []struct{ user, name string }{{"sup", "en"}, {"supfa", "fa"}} {
		tv := e.login(lang.user)
		for _, size := range []struct {
			name string
			w, h int64
		}{{"1080p", 1920, 1080}, {"desk", 1366, 768}} {
			tv.do(chromedp.EmulateViewport(size.w, size.h))
			tv.goTo("/wallboard?tv=1")
			tv.waitFor("the bundled font", `document.fonts.status === "loaded"`)
			if tv.eval(`document.querySelectorAll("#call-rows > .tr, #callback-rows > .tr").length`) != "0" {
				t.Fatalf("calls on the board before any traffic")
			}
			if cut := tv.eval(emptyLinesCut); cut != "" {
				t.Errorf("%s at %dx%d: empty-list lines cut off: %s", lang.name, size.w, size.h, cut)
			}
			tv.shot("tv-empty-" + lang.name + "-" + size.name)
		}
	}
}

func checkTVLook(t *testing.T, lang string, l tvLook) {
	t.Helper()
	problems := map[string][]string{"cut off": l.Cut, "too small": l.Small, "clipped timers": l.Clipped,
		"names or numbers cut at the wrong end": l.WrongEnd}
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
