package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/config"
	"ringside/server/sim"
)

// shiftLook is the agent's page at one moment.
type shiftLook struct {
	Height int      `json:"height"` // the page's height without the open call cards, px
	Cards  int      `json:"cards"`  // open call cards
	Ended  []string `json:"ended"`  // open cards of ended calls: their ended_at
	Recent int      `json:"recent"` // rows in "My recent calls"
}

const lookShift = `JSON.stringify({
	height: document.documentElement.scrollHeight - document.getElementById("pops").offsetHeight,
	cards: document.querySelectorAll("#pops .pop-card").length,
	ended: [...document.querySelectorAll("#pops .pop-card[data-ended]")].map((c) => c.dataset.ended),
	recent: document.querySelectorAll("#recent-rows > .tr").length,
})`

// fullShot saves a screenshot of the whole page, beyond the viewport.
func (p *person) fullShot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.MkdirAll(*screenshots, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(*screenshots, name+".png"), buf, 0o644)
	}
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
}

func (p *person) lookShift() shiftLook {
	p.t.Helper()
	var l shiftLook
	if err := json.Unmarshal([]byte(p.eval(lookShift)), &l); err != nil {
		p.t.Fatal(err)
	}
	return l
}

// An agent's page left open over a shift: an hour of the demo's traffic at 60× (a real
// minute), over the real WebSocket. Ended calls keep their card for ended_card_s, one at
// most, then fold into "My recent calls"; the page after the hour, without its open
// cards, is no taller than after five minutes. (Open cards are left out: a card's height
// depends on its caller's history, not on the shift, and a busy agent may never be
// without one.) Before, every ended call kept its card: 25 cards, an 8,175 px page after
// three minutes.
func TestAgentPageOverAShift(t *testing.T) {
	const speed, keepS = 60.0, 2.0
	e := startDemo(t, sim.Options{AgentsPerSource: 3, Speed: speed}, func(cfg *config.Config) { cfg.EndedCardS = keepS })
	agent := e.login("agent")
	agent.goTo("/agent")
	demoMinute := time.Duration(float64(time.Minute) / speed)
	began := time.Now()
	e.play()
	var at5, atHour shiftLook
	maxCards := 0
	for atHour.Height == 0 {
		l := agent.lookShift()
		maxCards = max(maxCards, l.Cards)
		if len(l.Ended) > 1 {
			t.Errorf("%s into the shift: %d ended calls keep their card, want one at most", time.Since(began).Round(time.Second), len(l.Ended))
		}
		now := time.Now()
		for _, s := range l.Ended {
			ended, err := time.Parse(time.RFC3339, s)
			if err == nil && now.Sub(ended) > time.Duration((keepS+5)*float64(time.Second)) {
				t.Errorf("an ended call's card is open %s after the call ended (ended_card_s %v)", now.Sub(ended).Round(100*time.Millisecond), keepS)
			}
		}
		switch {
		case at5.Height == 0 && time.Since(began) >= 5*demoMinute:
			at5 = l
			agent.fullShot("agent-shift-5min")
		case time.Since(began) >= 60*demoMinute:
			atHour = l
			agent.fullShot("agent-shift-1h")
		}
		time.Sleep(150 * time.Millisecond)
	}
	e.stop()
	agent.notReloaded()
	t.Logf("after 5 demo minutes: %+v; after an hour: %+v; most cards at once: %d", at5, atHour, maxCards)
	if atHour.Recent < 5 {
		t.Fatalf("only %d recent calls after an hour: the agent took too few calls for the test to say anything", atHour.Recent)
	}
	if atHour.Height > at5.Height {
		t.Errorf("the agent's page without its cards is %d px after an hour, %d px after five minutes: it grows over a shift", atHour.Height, at5.Height)
	}
}
