package server

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/config"
	"ringside/server/sim"
	"ringside/views/i18n"
)

// cbLook is what the TV's callers-to-call-back panel shows.
type cbLook struct {
	Count    string   `json:"count"`    // the panel's count ("12 of 14")
	Title    string   `json:"title"`    // its title
	TitleCut bool     `json:"titleCut"` // the title does not fit its box (cut, ellipsis) or the panel
	Rows     int      `json:"rows"`     // rows in the list
	Shown    int      `json:"shown"`    // rows on the visible page
	Cut      []string `json:"cut"`      // visible rows not wholly inside the panel, above its fade
	PageOf   string   `json:"pageOf"`   // "page n of m", when the list turns pages
}

// lookCallbacks measures the callers-to-call-back panel.
const lookCallbacks = `(() => {
	const panel = document.querySelector('.p-aband'), p = panel.getBoundingClientRect()
	const fade = parseFloat(getComputedStyle(panel, '::after').height) || 0
	const h2 = panel.querySelector('h2'), h = h2.getBoundingClientRect()
	const rows = [...document.querySelectorAll('#callback-rows > .tr')]
	const shown = rows.filter((r) => r.offsetParent !== null)
	const cut = []
	for (const r of shown) {
		const b = r.getBoundingClientRect()
		if (b.top < p.top - 1 || b.bottom > p.bottom - fade + 1 || b.left < p.left - 1 || b.right > p.right + 1) cut.push(r.id)
	}
	const note = panel.querySelector('[data-page-of]:not([hidden])')
	return {
		count: panel.querySelector('#callback-count').textContent.trim().replace(/\s+/g, ' '),
		title: h2.textContent.trim(),
		titleCut: h2.scrollWidth > h2.clientWidth + 1 || h2.scrollHeight > h2.clientHeight + 1 || h.left < p.left - 1 || h.right > p.right + 1,
		rows: rows.length, shown: shown.length, cut, pageOf: note ? note.textContent : '',
	}
})()`

// tileLabelsMeet lists the desk wallboard tiles' figures whose label or value runs into
// its neighbour's (less than 6 px apart on one line) or out of the tile.
const tileLabelsMeet = `(() => {
	const out = []
	const box = (el) => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect() }
	for (const stats of document.querySelectorAll('.tile .stats')) {
		const tile = stats.closest('.tile').getBoundingClientRect()
		const cells = [...stats.querySelectorAll('dl > div')].map((d) => ({ text: d.querySelector('dt').textContent.trim(), boxes: [box(d.querySelector('dt')), box(d.querySelector('dd'))] }))
		for (const c of cells) {
			for (const b of c.boxes) if (b.left < tile.left || b.right > tile.right) out.push(c.text + ' out of its tile')
		}
		for (let i = 0; i < cells.length; i++) {
			for (let j = i + 1; j < cells.length; j++) {
				for (const a of cells[i].boxes) for (const b of cells[j].boxes) {
					const sameLine = a.top < b.bottom && b.top < a.bottom
					const apart = Math.max(b.left - a.right, a.left - b.right)
					if (sameLine && apart < 6) out.push(cells[i].text + ' / ' + cells[j].text + ': ' + apart.toFixed(1) + ' px apart')
				}
			}
		}
	}
	return JSON.stringify(out)
})()`

// Fourteen callers to call back, on the TV wallboard of supervisors who read English,
// Persian, Czech and Russian, at 1920×1080 and 1366×768: the panel's title fits (the
// Persian one was cut to "…تما"), its count reads "12 of 14" from the catalog in the
// page's digits, and the rows that show are whole, above the panel's fade (the rest
// come up on the next pages, which the panel names). On the desk wallboard, at a
// desk's and a laptop's width, the queue tile's day figures (answered, abandoned,
// ASA, AHT) do not run into each other in any of the four languages.
func TestTVCallbacksInFourLanguages(t *testing.T) {
	langs := []string{"en", "fa", "cs", "ru"}
	var users []config.User
	for _, l := range langs[1:] {
		users = append(users, config.User{Name: "sup" + l, PasswordHash: cheapHash(), Role: "supervisor", Lang: l})
	}
	e := startBrowser(t, users...)
	e.t = t
	const callers = 14
	for range callers {
		e.send(e.pbx, e.story("simotel", sim.Missed), 0, all)
	}
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			e.t = t
			name := "sup" + lang
			if lang == "en" {
				name = "sup"
			}
			p := e.login(name)
			p.t = t
			l := i18n.New(lang, time.Local)
			for _, size := range []struct {
				name string
				w, h int64
			}{{"1080p", 1920, 1080}, {"desk", 1366, 768}} {
				p.do(chromedp.EmulateViewport(size.w, size.h))
				p.goTo("/wallboard?tv=1")
				p.waitFor("the bundled font", `document.fonts.status === "loaded"`)
				p.waitFor("the callers to call back", fmt.Sprintf(`document.querySelectorAll("#callback-rows > .tr").length === %d`, 12))
				var look cbLook
				if err := json.Unmarshal([]byte(p.eval(`JSON.stringify(`+lookCallbacks+`)`)), &look); err != nil {
					t.Fatal(err)
				}
				p.shot(fmt.Sprintf("tv-callbacks-%s-%s", lang, size.name))
				at := fmt.Sprintf("%s %dx%d", lang, size.w, size.h)
				if want := l.T("cb_count_of", "N", l.Num(12), "Of", l.Num(callers)); look.Count != want {
					t.Errorf("%s: count %q, want %q", at, look.Count, want)
				}
				if look.Title != l.T("cb_title") || look.TitleCut {
					t.Errorf("%s: title %q cut (%v), want %q in full", at, look.Title, look.TitleCut, l.T("cb_title"))
				}
				if len(look.Cut) > 0 {
					t.Errorf("%s: callback rows cut or under the fade: %v", at, look.Cut)
				}
				if look.Shown == 0 || look.Shown < look.Rows && look.PageOf == "" {
					t.Errorf("%s: %d of %d rows shown; the panel says %q of its pages", at, look.Shown, look.Rows, look.PageOf)
				}
			}
			for _, size := range []struct {
				name string
				w, h int64
			}{{"desk", 1440, 900}, {"laptop", 1366, 768}} {
				p.do(chromedp.EmulateViewport(size.w, size.h))
				p.goTo("/wallboard")
				p.waitFor("the queue tile", `document.querySelector(".tile .stats") !== null`)
				if got := p.eval(tileLabelsMeet); got != "[]" {
					t.Errorf("%s %dx%d: tile figures run into each other: %s", lang, size.w, size.h, got)
				}
				if size.name == "laptop" {
					p.shot("wallboard-tiles-" + lang)
				}
			}
		})
	}
}
