package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fastws "github.com/fasthttp/websocket"

	"ringside/server/config"
	"ringside/store"
)

// runServer starts a server on its data directory's real store file; stop shuts it
// down and closes the file, as a process exit does.
func runServer(t *testing.T, cfg *config.Config) (e *testEnv, stop func()) {
	t.Helper()
	if err := config.Check(cfg); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(cfg.Data, "ringside.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.App().Listener(ln)
	<-srv.Ready()
	e = &testEnv{t: t, cfg: cfg, st: st, srv: srv, url: "http://" + ln.Addr().String()}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			srv.Shutdown(context.Background())
			st.Close()
		}
	}
	t.Cleanup(stop)
	return e, stop
}

// opens says whether a session cookie opens a page (else it is sent to /login).
func (e *testEnv) opens(cookie *http.Cookie, path string) bool {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.AddCookie(cookie)
	resp, err := noRedirect.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

func (e *testEnv) logout(cookie *http.Cookie) {
	e.t.Helper()
	if code, body := e.pagePost(cookie, "/logout", url.Values{}); code != 200 || !strings.Contains(body, "password") {
		e.t.Fatalf("logout: %d (want the login form after its redirect)", code)
	}
}

func sessionConfig(t *testing.T) *config.Config {
	cfg := testConfig(t)
	cfg.Users = []config.User{
		{Name: "admin", PasswordHash: cheapHash(), Role: "admin"},
		{Name: "sup", PasswordHash: cheapHash(), Role: "supervisor"},
	}
	return cfg
}

// Attack: a logged-out cookie came back to life when the server restarted
// (revocations lived in memory only).
func TestLogoutSurvivesRestart(t *testing.T) {
	cfg := sessionConfig(t)
	e, stop := runServer(t, cfg)
	out, kept := e.formLogin("admin", personPass), e.formLogin("sup", personPass)
	e.logout(out)
	if e.opens(out, "/settings") {
		t.Fatal("the logged-out cookie still opens /settings")
	}
	stop()

	e, _ = runServer(t, cfg) // the same data directory: the store file reopened
	if e.opens(out, "/settings") {
		t.Error("after a restart, the logged-out cookie opens /settings again")
	}
	if !e.opens(kept, "/wallboard") {
		t.Error("after a restart, a session that did not log out was lost")
	}
}

// Attack: a password change kept every session issued with the old password.
func TestPasswordChangeEndsOldSessions(t *testing.T) {
	cfg := sessionConfig(t)
	e, stop := runServer(t, cfg)
	old := e.formLogin("sup", personPass)
	stop()

	e, stop = runServer(t, cfg) // unchanged: the session lives on
	if !e.opens(old, "/wallboard") {
		t.Fatal("a restart with the same password lost the session")
	}
	stop()

	cfg.Users[1].PasswordHash = ""
	cfg.Users[1].Password = "a new password"
	e, _ = runServer(t, cfg)
	if e.opens(old, "/wallboard") {
		t.Error("a cookie issued with the old password still opens /wallboard")
	}
	if !e.opens(e.formLogin("sup", "a new password"), "/wallboard") {
		t.Error("the new password does not log in")
	}
}

// Attack: an open WebSocket kept streaming after its session logged out.
func TestLogoutClosesSockets(t *testing.T) {
	e, _ := runServer(t, sessionConfig(t))
	sup, other := e.formLogin("sup", personPass), e.formLogin("sup", personPass)
	dial := func(c *http.Cookie) *fastws.Conn {
		h := http.Header{"Origin": {e.url}, "Cookie": {c.String()}}
		conn, resp, err := fastws.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws?page=wallboard", h)
		if err != nil {
			t.Fatalf("socket: %v (%v)", err, resp)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	mine, theirs := dial(sup), dial(other)
	for _, c := range []*fastws.Conn{mine, theirs} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil { // the page's initial state
			t.Fatalf("first frame: %v", err)
		}
	}
	e.logout(sup)
	mine.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := mine.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the logged-out session's socket is still open 10 s after logout")
			}
			break // closed
		}
	}
	// The other session's socket stays: ping it and read the pong.
	pong := make(chan struct{}, 1)
	theirs.SetPongHandler(func(string) error { pong <- struct{}{}; return nil })
	if err := theirs.WriteControl(fastws.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
		t.Fatalf("the other session's socket was closed: %v", err)
	}
	theirs.SetReadDeadline(time.Now().Add(5 * time.Second))
	go func() {
		for {
			if _, _, err := theirs.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case <-pong:
	case <-time.After(5 * time.Second):
		t.Error("the other session's socket does not answer a ping")
	}
	// and the logged-out cookie cannot open a new one
	h := http.Header{"Origin": {e.url}, "Cookie": {sup.String()}}
	if _, resp, err := fastws.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws?page=wallboard", h); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("a new socket with the logged-out cookie: %v %v, want 401", err, resp)
	}
}

// A new password given by a config reload ends the old sessions at once, sockets
// included, without a restart.
func TestReloadedPasswordClosesSockets(t *testing.T) {
	cfg := sessionConfig(t)
	e, _ := runServer(t, cfg)
	sup, admin := e.formLogin("sup", personPass), e.formLogin("admin", personPass)
	dial := func(c *http.Cookie) *fastws.Conn {
		h := http.Header{"Origin": {e.url}, "Cookie": {c.String()}}
		conn, resp, err := fastws.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"/ws?page=wallboard", h)
		if err != nil {
			t.Fatalf("socket: %v (%v)", err, resp)
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := conn.ReadMessage(); err != nil {
			t.Fatalf("first frame: %v", err)
		}
		return conn
	}
	supSock, adminSock := dial(sup), dial(admin)
	next := *cfg
	next.Users = append([]config.User(nil), cfg.Users...)
	next.Users[1].PasswordHash, next.Users[1].Password = "", "changed"
	if err := config.Check(&next); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(&next); err != nil {
		t.Fatal(err)
	}
	if e.opens(sup, "/wallboard") {
		t.Error("the old password's cookie still opens /wallboard after the reload")
	}
	if !e.opens(admin, "/settings") {
		t.Error("the reload ended a session whose password did not change")
	}
	supSock.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := supSock.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the old password's socket is still open 10 s after the reload")
			}
			break
		}
	}
	if err := adminSock.WriteControl(fastws.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
		t.Errorf("the unchanged session's socket was closed: %v", err)
	}
}
