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

// Honest controls, as people see them: a pause the PBX cannot carry out says why in the
// page's toast (no raw error page, no navigation), and a PBX that sends no presence
// shows "not reported" on its queue tile and its agents instead of zeros and "Offline".
func TestHonestControlsInBrowser(t *testing.T) {
	e := startBrowser(t)
	petr, sup := e.login("petr"), e.login("sup")

	// Petr answers a call of pbx1's queue: he is in a queue of the PBX with the API.
	st := e.story("simotel", sim.QueueAnswered)
	st.Chain = []sim.Attempt{attempt(simPetr, 2, 4, call.OutcomeAnswer)}
	st.Agent, st.Answer, st.End = simPetr, 4*storySec, 20*storySec
	e.send(e.pbx, st, 0, all)
	// A cloudcdr call answered by an extension of no directory agent.
	eva := sim.Agent{Ext: "995", Login: "eva", Name: "Eva", Number: "+375290000009"}
	cl := e.story("cloudcdr", sim.QueueAnswered)
	cl.Chain = []sim.Attempt{attempt(eva, 2, 10, call.OutcomeAnswer)}
	cl.Agent, cl.Answer, cl.End = eva, 10*storySec, 30*storySec
	e.send(e.source("cloud", ""), cl, 0, all)

	sup.goTo("/wallboard")
	tile := jsString("#" + views.DOMID("queue", "cloud:"+cl.Queue))
	sup.waitFor("the cloudcdr tile", fmt.Sprintf(`document.querySelector(%s)`, tile))
	txt := sup.text("#" + views.DOMID("queue", "cloud:"+cl.Queue))
	if !strings.Contains(txt, "presence not reported") || strings.Contains(txt, "paused") {
		t.Errorf("the cloudcdr tile counts presence it is never told: %q", txt)
	}
	row := "#" + views.DOMID("agent", "cloud:995")
	sup.waitFor("Eva's row", fmt.Sprintf(`document.querySelector(%s)`, jsString(row)))
	if txt := sup.text(row); !strings.Contains(txt, "Not reported") || strings.Contains(txt, "Offline") {
		t.Errorf("Eva (cloudcdr only) between calls: %q, want Not reported", txt)
	}
	if sup.eval(`document.body.classList.contains("may-act") && !!document.getElementById("call-as")`) != "true" {
		t.Error("the supervisor is not offered click-to-call though pbx1's API can place calls")
	}

	petr.goTo("/agent")
	if petr.eval(`!!document.querySelector(".pause-form button")`) != "true" {
		t.Fatal("Petr, in a queue of the PBX with an API, has no Pause button")
	}
	e.fake.Close() // the PBX goes away
	petr.do(chromedp.Click(chromedp.CSS(".pause-form button")))
	petr.waitFor("the failure in the toast", `document.querySelector("#toast .toast-error")`)
	msg := petr.text("#toast")
	if petr.path() != "/agent" || strings.Contains(msg, "<") || !strings.Contains(msg, "PBX") {
		t.Errorf("failed pause: on %s, toast %q; want a readable message on the agent page", petr.path(), msg)
	}
	petr.notReloaded()
	petr.shot("agent-pause-failed")
}
