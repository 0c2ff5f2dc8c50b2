package server

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"ringside/server/config"
	"ringside/server/version"
)

// TestSettingsReloadButton: an admin's button re-reads the configuration; the page
// says what happened, a refused file leaves the running configuration alone, and
// others cannot press it.
func TestSettingsReloadButton(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg)
	var next *config.Config
	var loadErr error
	e.srv.SetConfigLoader(func() (*config.Config, error) { return next, loadErr })

	admin := e.formLogin("admin", "adminpw")
	page := func() string {
		req, _ := http.NewRequest("GET", e.url+"/settings", nil)
		req.AddCookie(admin)
		_, body := do(t, req)
		return body
	}
	press := func(cookie *http.Cookie, csrf string) int {
		req, _ := http.NewRequest("POST", e.url+"/settings/reload", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page())
	if m == nil {
		t.Fatal("settings page has no CSRF token for the reload form")
	}
	csrf := m[1]
	if !strings.Contains(page(), `class="app-foot">Ringside `+version.String()) {
		t.Error("the page footer does not show the version")
	}

	// a valid new configuration: a new agent in the directory, a user more
	c2 := *cfg
	c2.Agents = append([]config.Agent{{ID: "newbie", Name: "New Person", Match: []string{"pbx1:555"}}}, cfg.Agents...)
	c2.Users = append(append([]config.User{}, cfg.Users...), config.User{Name: "boss2", Password: "pw2", Role: "supervisor"})
	if err := config.Check(&c2); err != nil {
		t.Fatal(err)
	}
	next = &c2
	if code := press(admin, csrf); code != http.StatusSeeOther {
		t.Fatalf("reload: %d", code)
	}
	body := page()
	if !strings.Contains(body, "Configuration reloaded at") || !strings.Contains(body, "New Person") {
		t.Fatalf("settings page after a reload lacks the note or the new agent:\n%s", body)
	}
	if _, ok, _ := e.srv.users().password("boss2", "pw2"); !ok {
		t.Fatal("the new user cannot log in after the reload")
	}

	// a refused file: the note says so, the running configuration stays
	next, loadErr = nil, errors.New("config ringside.toml:7: vendor \"nope\" unknown")
	press(admin, csrf)
	body = page()
	if !strings.Contains(body, "refused") || !strings.Contains(body, "ringside.toml:7") || !strings.Contains(body, "New Person") {
		t.Fatalf("settings page after a refused reload:\n%s", body)
	}

	// an agent cannot press it
	agent := e.formLogin("agent1", "agentpw")
	if code := press(agent, csrf); code != http.StatusForbidden {
		t.Fatalf("agent pressed reload: %d, want 403", code)
	}
	// nor an admin without the CSRF token
	if code := press(admin, "wrong"); code != http.StatusForbidden {
		t.Fatalf("reload without the CSRF token: %d, want 403", code)
	}
}
