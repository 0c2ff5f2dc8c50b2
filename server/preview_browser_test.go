package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"ringside/server/call"
	"ringside/server/sim"
	"ringside/views"
)

// TestAdminPreviewAndErrorPagesInBrowser: in Chromium, an unknown path shows the styled
// 404 page with the person's nav; an admin chooses an agent on /agent and watches that
// agent's page live (a screen-pop arrives over the socket, as on the agent's own page),
// without the controls that would act for the agent.
func TestAdminPreviewAndErrorPagesInBrowser(t *testing.T) {
	e := startBrowser(t)
	admin, petr := e.login("admin"), e.login("petr")

	admin.goTo("/no/such/page")
	if code, txt := admin.text(".error-code"), admin.text("main"); code != "404" || !strings.Contains(txt, "No such page.") {
		t.Errorf("unknown path: code %q, text %q; want the styled 404", code, txt)
	}
	if admin.eval(`!!document.querySelector('nav a[href="/settings"]')`) != "true" {
		t.Error("the 404 page lacks the admin's nav")
	}
	admin.shot("error-404")

	admin.goTo("/agent")
	admin.do(chromedp.Click(chromedp.CSS(`a[href="/agent?agent=petr"]`)))
	admin.waitFor("the preview of Petr's page", `location.search === "?agent=petr" && document.readyState === "complete" && document.body && document.body.dataset.live === "1"`)
	admin.eval(`window.loadMark = 1`)
	if txt := admin.text(".me"); !strings.Contains(txt, "Petr Novák") {
		t.Errorf("the preview shows %q, want Petr's page", txt)
	}
	if n := admin.eval(`document.querySelectorAll('form[action="/agent/pause"], form[action="/agent/resume"]').length`); n != "0" {
		t.Errorf("the preview shows %s pause/resume forms that would not act for Petr", n)
	}
	petr.goTo("/agent")

	st := e.story("simotel", sim.QueueAnswered)
	st.Chain = []sim.Attempt{attempt(simPetr, 2, 4, call.OutcomeAnswer)}
	st.Agent, st.Answer, st.End = simPetr, 4*storySec, 20*storySec
	pop := "#" + views.DOMID("pop", storyCallID(e.pbx, st))
	e.send(e.pbx, st, 0, 3*storySec) // ringing at Petr
	for _, p := range []*person{petr, admin} {
		p.waitFor("the screen-pop", fmt.Sprintf(`document.querySelector(%s)`, jsString(pop)))
		if txt := p.text(pop); !strings.Contains(txt, st.Caller) {
			t.Errorf("%s: the screen-pop %q lacks the caller %s", p.name, txt, st.Caller)
		}
	}
	admin.notReloaded()
	admin.shot("agent-preview")
}
