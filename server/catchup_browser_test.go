package server

import "testing"

// TestCatchingUpNoticeInBrowser: while the board restores, the wallboard shows the
// catching-up notice; once it has caught up the notice goes away by itself (it polls
// /catching-up), without a reload.
func TestCatchingUpNoticeInBrowser(t *testing.T) {
	restoreHold = make(chan struct{})
	held := restoreHold
	defer func() { restoreHold = nil }()
	e := startBrowser(t)
	admin := e.login("admin")
	admin.goTo("/wallboard")
	admin.waitFor("the notice", `document.querySelector("#catching-up")`)
	if got := admin.text("#catching-up"); got != "Catching up after a restart: the board may be incomplete for a moment" {
		t.Errorf("notice text %q", got)
	}
	admin.shot("catching-up-wallboard")
	close(held)
	admin.waitFor("the notice gone", `!document.querySelector("#catching-up")`)
	admin.notReloaded()
}
