package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"ringside/server/config"
	"ringside/server/sim"
	"ringside/server/simotel"
)

// Browser tests: a real server on loopback with a real bbolt file, headless Chromium
// driven by chromedp, people logging in through the form, and deliveries posted to /hooks
// the way each PBX sends them. The browser reaches the server through cutProxy, so a
// test can drop every connection the way a network failure does.

var screenshots = flag.String("screenshots", filepath.Join(os.TempDir(), "ringside-screenshots"),
	"browser tests: write page screenshots (PNG) into this directory (make screenshots: web/screenshots)")

// chromium finds the browser. Without one the tests skip, except under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium on PATH and CI=true: install it (apt-get install -y chromium)")
	}
	t.Skip("SKIPPED: no Chromium on PATH (apt-get install -y chromium); the browser tests did not run")
	return ""
}

// The Simotel API account the server uses, as the fake PBX requires it.
const (
	apiUser, apiPass, apiKey = "ringside", "api-secret", "api-key-123"
	personPass               = "adminpw" // every person's password (cheapHash)
)

type browserEnv struct {
	*testEnv
	top   *testing.T // owns the browser and the people; testEnv.t is the step running
	fake  *simotel.Fake
	proxy *cutProxy
	root  context.Context // the browser; each person has a browser context of their own
	pbx   sim.Source      // the Simotel source, as its PBX posts (v4 JSON)
	n     int             // stories told
}

// startBrowser starts the server and Chromium; extra people join the usual ones.
func startBrowser(t *testing.T, extra ...config.User) *browserEnv {
	exe := chromium(t)
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey})
	fake.Start()
	t.Cleanup(fake.Close)

	cfg := testConfig(t)
	for i := range cfg.Sources {
		if cfg.Sources[i].Name == "pbx1" {
			cfg.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
		}
	}
	cfg.Users = []config.User{
		{Name: "admin", PasswordHash: cheapHash(), Role: "admin", APIKey: "admin-key"},
		{Name: "sup", PasswordHash: cheapHash(), Role: "supervisor"},
		{Name: "mgr", PasswordHash: cheapHash(), Role: "manager"},
		{Name: "petr", PasswordHash: cheapHash(), Role: "agent", Agent: "petr"},
		{Name: "jana", PasswordHash: cheapHash(), Role: "agent", Agent: "jana"},
	}
	cfg.Users = append(cfg.Users, extra...)
	cfg.Agents = []config.Agent{
		{ID: "petr", Name: "Petr Novák", Match: []string{"pbx1:991", "ipex:petr.novak", "cloud:991", "sipsim:+375290000001"}},
		{ID: "jana", Name: "Jana Dvořáková", Match: []string{"pbx1:992", "ipex:jana.dvorakova", "cloud:992", "sipsim:+375290000002"}},
		{ID: "tomas", Name: "Tomáš Černý", Match: []string{"pbx1:993", "ipex:tomas.cerny", "cloud:993"}},
	}
	// Simotel callers dialing 02191305588 wait in 900 from their IncomingCall.
	cfg.Queues = []config.Queue{{ID: "pbx1:900", EntryPoints: []string{"02191305588"}}}
	e := &browserEnv{testEnv: startEnv(t, cfg), top: t, fake: fake}
	e.pbx = simSource(t, cfg, "pbx1", "g4-json")
	e.proxy = newCutProxy(t, strings.TrimPrefix(e.url, "http://"))

	e.root = startChromium(t, exe)
	return e
}

// startChromium starts the browser that people open their contexts in.
func startChromium(t *testing.T, exe string) context.Context {
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.WindowSize(1440, 900), chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	return root
}

// person is someone logged in, in a browser context of their own (own cookies).
type person struct {
	t    *testing.T
	ctx  context.Context
	name string
	base string
}

// open starts a browser context with no session.
func (e *browserEnv) open(name string) *person {
	ctx, cancel := chromedp.NewContext(e.root, chromedp.WithNewBrowserContext())
	e.top.Cleanup(cancel)
	return &person{t: e.t, ctx: ctx, name: name, base: e.proxy.url}
}

// login opens a protected page, is sent to the form, types the name and password and
// presses Enter.
func (e *browserEnv) login(name string) *person {
	p := e.open(name)
	p.do(chromedp.Navigate(p.base + "/cdrs"))
	if u := p.path(); u != "/login" {
		p.t.Fatalf("%s: /cdrs without a session landed on %s, want /login", name, u)
	}
	p.do(chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), personPass+kb.Enter))
	p.waitFor("leaving /login", `location.pathname !== "/login" && document.readyState === "complete"`)
	return p
}

func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// goTo loads a page and waits for its WebSocket (pages without one: for the load).
func (p *person) goTo(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + path))
	p.waitFor("page loaded", `document.readyState === "complete"`)
	if p.eval(`document.body.hasAttribute("ws-connect")`) == "true" {
		p.waitFor("live connection", `document.body.dataset.live === "1"`)
	}
	// Marks this load: a reload would clear it, so a change seen with the mark still
	// set arrived over the socket.
	p.eval(`window.loadMark = 1`)
}

// eval runs a JavaScript expression and returns its value as text (String(value)).
func (p *person) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`String((() => (`+expr+`))())`))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds. A page between two documents
// (no documentElement yet, or its context destroyed under the call) reads as false.
func (p *person) waitFor(what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`String((() => { try { return !!(`+cond+`) } catch (e) { return false } })())`))
		if err == nil && v == "true" {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s on %s: %s: still not %s (%v)", p.name, p.path(), what, cond, err)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// stays checks that a JavaScript condition stays false for a while.
func (p *person) stays(what, cond string, d time.Duration) {
	p.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if p.eval(`!!(`+cond+`)`) == "true" {
			p.t.Fatalf("%s on %s: %s", p.name, p.path(), what)
		}
	}
}

func (p *person) path() string {
	return p.eval(`location.pathname`)
}

// text is the text of the first element matching a CSS selector ("" when none).
func (p *person) text(sel string) string {
	return strings.Join(strings.Fields(p.eval(`(document.querySelector(`+jsString(sel)+`) || {}).textContent || ""`)), " ")
}

// notReloaded fails when the page was loaded again since goTo.
func (p *person) notReloaded() {
	p.t.Helper()
	if p.eval(`window.loadMark === 1`) != "true" {
		p.t.Fatalf("%s: the page on %s was reloaded; changes must arrive over the WebSocket", p.name, p.path())
	}
}

// shot saves a screenshot of the viewport into the -screenshots directory.
func (p *person) shot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ---- deliveries ---------------------------------------------------------------------

// story starts a story of kind on a vendor's test source now, with a fresh call id.
func (e *browserEnv) story(vendor string, kind sim.Kind) sim.Story {
	e.n++
	st := story(vendor, kind, 500+e.n, time.Now())
	st.Caller = fmt.Sprintf("0912%07d", 1000+e.n)
	if vendor != "simotel" {
		st.Caller = fmt.Sprintf("+4477009%05d", e.n)
	}
	return st
}

// send posts a story's deliveries whose offset is within [from, to), as its PBX does.
func (e *browserEnv) send(src sim.Source, st sim.Story, from, to time.Duration) {
	e.t.Helper()
	for _, d := range sim.Render(src, st) {
		if d.At < from || d.At >= to {
			continue
		}
		req, err := http.NewRequest(d.Method, e.url+d.Target, bytes.NewReader(d.Body))
		if err != nil {
			e.t.Fatal(err)
		}
		for k, vs := range d.Header {
			req.Header[k] = slices.Clone(vs)
		}
		sim.Authorize(req.Header, src, d.Body, time.Now())
		if code, body := do(e.t, req); code != 200 {
			e.t.Fatalf("%s %s: %d %s", d.Method, d.Target, code, body)
		}
	}
}

// all is every offset of a story.
const all = time.Duration(1 << 62)

func (e *browserEnv) source(name, variant string) sim.Source {
	return simSource(e.t, e.cfg, name, variant)
}

// ---- a proxy that can drop every connection --------------------------------------------

// cutProxy forwards TCP to the server. cut closes every open connection and refuses new
// ones until mend, as a network failure does; the pages see their sockets die (1006).
type cutProxy struct {
	url    string
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{url: "http://" + ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

func (p *cutProxy) mend() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
