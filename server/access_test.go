package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	fastws "github.com/fasthttp/websocket"

	"ringside/server/config"
)

// TestErrorsAndAdminAccess: an unknown path answers the styled page for people and the
// envelope for machines; an admin may open every page, the agent page as a preview of a
// chosen agent (live on that agent's topic); /metrics takes an admin's session.
func TestErrorsAndAdminAccess(t *testing.T) {
	cfg := testConfig(t)
	cfg.Users = append(cfg.Users, config.User{Name: "sup", Password: "suppw", Role: "supervisor"})
	cfg.Agents = []config.Agent{{ID: "petr", Name: "Petr Novák", Match: []string{"pbx1:991"}}}
	e := startEnv(t, cfg)
	admin, sup, agent := e.formLogin("admin", "adminpw"), e.formLogin("sup", "suppw"), e.formLogin("agent1", "agentpw")
	get := func(path string, cookie *http.Cookie) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml") // as a browser opening a page
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}

	for _, tc := range []struct {
		name, path string
		who        *http.Cookie
		code       int
		html       bool
		has        string
	}{
		{"unknown page, signed in", "/no/such/page", sup, 404, true, "No such page."},
		{"unknown page, no session", "/nope", nil, 404, true, "No such page."},
		{"unknown static file", "/static/nope.js", nil, 404, false, `"success":0`},
		{"unknown API route", "/api/v1/nope", nil, 401, false, `"success":0`},
		{"unknown API route, signed in", "/api/nope", admin, 404, false, `"success":0`},
		{"unknown hook path", "/hooks/a/b/c", nil, 404, false, `"success":0`},
		{"a role's forbidden page", "/settings", sup, 403, true, "Your role does not open this page."},
		{"admin: the preview chooser", "/agent", admin, 200, true, `href="/agent?agent=petr"`},
		{"admin: an agent's page as a preview", "/agent?agent=petr", admin, 200, true, `ws-connect="/ws?page=agent%3Apetr"`},
		{"admin: no such agent", "/agent?agent=nobody", admin, 404, true, "No such page."},
		{"supervisor: no agent page", "/agent?agent=petr", sup, 403, true, "Your role does not open this page."},
		{"agent: their own page, whatever the query", "/agent?agent=other", agent, 200, true, `ws-connect="/ws?page=agent"`},
		{"admin: metrics with the page session", "/metrics", admin, 200, false, "ringside_"},
		{"supervisor: no metrics", "/metrics", sup, 403, false, "Access denied"},
	} {
		code, ctype, body := get(tc.path, tc.who)
		if code != tc.code || strings.HasPrefix(ctype, "text/html") != tc.html || !strings.Contains(body, tc.has) {
			t.Errorf("%s: GET %s = %d %s, want %d html=%v with %q; body %.300s", tc.name, tc.path, code, ctype, tc.code, tc.html, tc.has, body)
		}
	}
	code, _, body := get("/agent?agent=petr", admin)
	if code == 200 && (strings.Contains(body, `hx-post="/agent/pause"`) || !strings.Contains(body, "Petr Novák")) {
		t.Errorf("the preview shows controls that would act for the agent, or not the agent's name: %.2000s", body)
	}

	dialWS := func(page string, c *http.Cookie) int {
		h := http.Header{"Origin": {e.url}, "Cookie": {c.Name + "=" + c.Value}}
		conn, resp, _ := fastws.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws?page="+page, h)
		if conn != nil {
			defer conn.Close()
		}
		if resp == nil {
			return 0
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		page string
		who  *http.Cookie
		want int
	}{{"agent:petr", admin, 101}, {"agent:petr", sup, 403}, {"agent:petr", agent, 403}, {"agent", admin, 403}, {"cdrs", agent, 403}, {"cdrs", sup, 101}} {
		if got := dialWS(tc.page, tc.who); got != tc.want {
			t.Errorf("/ws?page=%s: %d, want %d", tc.page, got, tc.want)
		}
	}
}

// The table says what each role may do; the nav follows it.
func TestNavFollowsRole(t *testing.T) {
	for role, want := range map[string]string{
		"admin": "wallboard cdrs reports settings", "supervisor": "wallboard cdrs reports", "manager": "cdrs reports", "agent": "", "nobody": "",
	} {
		if got := strings.Join(navOf(&config.User{Role: role}), " "); got != want {
			t.Errorf("%s: nav %q, want %q", role, got, want)
		}
	}
}
