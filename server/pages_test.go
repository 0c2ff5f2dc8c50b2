package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	fastws "github.com/fasthttp/websocket"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// formLogin logs in as a browser does and returns the session cookie.
func (e *testEnv) formLogin(user, pass string) *http.Cookie {
	e.t.Helper()
	resp, err := noRedirect.Get(e.url + "/login")
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	var csrf *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == loginCookie {
			csrf = c
		}
	}
	if csrf == nil || !csrf.HttpOnly {
		e.t.Fatalf("GET /login set no HttpOnly %s cookie: %v", loginCookie, resp.Cookies())
	}
	form := url.Values{"username": {user}, "password": {pass}, "csrf": {csrf.Value}}
	req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	if resp, err = noRedirect.Do(req); err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			if !c.HttpOnly || c.SameSite == http.SameSiteNoneMode {
				e.t.Errorf("session cookie %+v: want HttpOnly and SameSite", c)
			}
			return c
		}
	}
	e.t.Fatalf("POST /login as %s: %s, no session cookie", user, resp.Status)
	return nil
}

func TestPageAccess(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg)
	get := func(path string, cookie *http.Cookie, h http.Header) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", e.url+path, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	// Without a session: pages go to the form, /ws and the API refuse, the rest is open.
	for path, want := range map[string]int{"/wallboard": 303, "/cdrs": 303, "/settings": 303, "/calls/x": 303,
		"/cdrs.csv": 303, "/api/v1/calls": 401, "/login": 200, "/healthz": 200, "/static/app.js": 200} {
		resp := get(path, nil, nil)
		if resp.StatusCode != want {
			t.Errorf("GET %s without a session: %d, want %d", path, resp.StatusCode, want)
		}
		if want == 303 && resp.Header.Get("Location") != "/login" {
			t.Errorf("GET %s redirects to %q", path, resp.Header.Get("Location"))
		}
	}
	wsURL := "ws" + strings.TrimPrefix(e.url, "http") + "/ws?page=wallboard"
	if _, resp, err := fastws.DefaultDialer.Dial(wsURL, http.Header{"Origin": {e.url}}); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("/ws without a session: err %v, response %v; want 401", err, resp)
	}

	// Every answer carries the security headers.
	resp := get("/login", nil, nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") ||
		resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("security headers: CSP %q, X-Frame-Options %q", csp, resp.Header.Get("X-Frame-Options"))
	}

	admin := e.formLogin("admin", "adminpw")
	agent := e.formLogin("agent1", "agentpw")
	if code := get("/settings", agent, nil).StatusCode; code != 403 {
		t.Errorf("an agent on /settings: %d, want 403", code)
	}
	if code := get("/settings", admin, nil).StatusCode; code != 200 {
		t.Errorf("the admin on /settings: %d, want 200", code)
	}

	// The WebSocket: same origin only, and only the pages of one's role.
	hdr := func(origin string, c *http.Cookie) http.Header {
		return http.Header{"Origin": {origin}, "Cookie": {c.Name + "=" + c.Value}}
	}
	for _, tc := range []struct {
		name, page, origin string
		who                *http.Cookie
		want               int
	}{
		{"admin, same origin", "wallboard", e.url, admin, 101},
		{"admin, another site", "wallboard", "https://evil.example", admin, 403},
		{"admin, no origin", "wallboard", "", admin, 403},
		{"agent, the wallboard", "wallboard", e.url, agent, 403},
		{"agent, own page", "agent", e.url, agent, 101},
	} {
		h := hdr(tc.origin, tc.who)
		if tc.origin == "" {
			h.Del("Origin")
		}
		conn, resp, err := fastws.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws?page="+tc.page, h)
		got := 0
		if resp != nil {
			got = resp.StatusCode
		}
		if conn != nil {
			conn.Close()
		}
		if got != tc.want {
			t.Errorf("%s: /ws answered %d (%v), want %d", tc.name, got, err, tc.want)
		}
	}

	// State changes need the CSRF token.
	req, _ := http.NewRequest("POST", e.url+"/logout", nil)
	req.AddCookie(admin)
	if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("POST /logout without the CSRF token: %v %v, want 403", resp.StatusCode, err)
	}
}
