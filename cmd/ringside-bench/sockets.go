package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	fastws "github.com/fasthttp/websocket"
)

// loginAs logs a person in the way a browser does (GET /login for the form's CSRF
// cookie, POST /login with it) and returns the session cookie's value.
func loginAs(ctx context.Context, base string, l login) (string, error) {
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/login", nil)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	drain(resp.Body)
	tok := cookie(resp, "ringside_login")
	if tok == "" {
		return "", fmt.Errorf("GET /login: %s without the login form's cookie", resp.Status)
	}
	form := url.Values{"username": {l.user}, "password": {l.pass}, "csrf": {tok}}
	req, _ = http.NewRequestWithContext(ctx, "POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "ringside_login", Value: tok})
	if resp, err = c.Do(req); err != nil {
		return "", err
	}
	drain(resp.Body)
	sess := cookie(resp, "ringside_session")
	if resp.StatusCode != http.StatusSeeOther || sess == "" {
		return "", fmt.Errorf("POST /login as %s: %s without a session", l.user, resp.Status)
	}
	return sess, nil
}

func cookie(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// clients are the WebSocket clients held open; each has a reader goroutine (which
// also answers the server's pings) that hands every frame to onFrame.
type clients struct {
	mu      sync.Mutex
	conns   []*fastws.Conn
	open    atomic.Int64
	frames  atomic.Int64
	bytes   atomic.Int64
	closing atomic.Bool
	dropped atomic.Int64 // closed by the server (or failed) while we held them
	dropMu  sync.Mutex
	dropErr string // the first drop: page, when, why
	wg      sync.WaitGroup
}

var dialer = fastws.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 256}

// dial opens the socket of page as the session's person; onFrame (may be nil) sees
// each frame with its arrival time.
func (cs *clients) dial(ctx context.Context, s *server, page, session string, onFrame func([]byte, time.Time)) error {
	h := http.Header{"Cookie": {"ringside_session=" + session}, "Origin": {s.base}}
	conn, resp, err := dialer.DialContext(ctx, "ws://"+s.addr+"/ws?page="+url.QueryEscape(page), h)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("WebSocket %s: %s: %w", page, resp.Status, err)
		}
		return fmt.Errorf("WebSocket %s: %w", page, err)
	}
	cs.mu.Lock()
	cs.conns = append(cs.conns, conn)
	cs.mu.Unlock()
	cs.open.Add(1)
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		defer cs.open.Add(-1)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				if !cs.closing.Load() {
					cs.dropped.Add(1)
					cs.dropMu.Lock()
					if cs.dropErr == "" {
						cs.dropErr = fmt.Sprintf("%s socket at %s: %v", page, time.Now().Format("15:04:05.000"), err)
					}
					cs.dropMu.Unlock()
				}
				return
			}
			at := time.Now()
			cs.frames.Add(1)
			cs.bytes.Add(int64(len(msg)))
			if onFrame != nil {
				onFrame(msg, at)
			}
		}
	}()
	return nil
}

// dialMany opens n sockets, conc at a time; page and session of socket i come from at.
func (cs *clients) dialMany(ctx context.Context, s *server, n, conc int, at func(i int) (page, session string, onFrame func([]byte, time.Time))) error {
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				page, sess, fn := at(i)
				if err := cs.dial(ctx, s, page, sess, fn); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// close closes every socket and waits for the readers.
func (cs *clients) close() {
	cs.closing.Store(true)
	cs.mu.Lock()
	for _, c := range cs.conns {
		_ = c.Close()
	}
	cs.conns = nil
	cs.mu.Unlock()
	cs.wg.Wait()
}

// pops waits for screen-pops: per agent, the callers rung at them and when.
type pops struct {
	mu      sync.Mutex
	pending []map[string]time.Time // by agent index: caller number → ringing delivery sent
	lat     []time.Duration
}

// reset forgets the pops timed and those still awaited, for the next run.
func (p *pops) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lat = nil
	for i := range p.pending {
		p.pending[i] = map[string]time.Time{}
	}
}

func newPops(agents int) *pops {
	p := &pops{pending: make([]map[string]time.Time, agents)}
	for i := range p.pending {
		p.pending[i] = map[string]time.Time{}
	}
	return p
}

func (p *pops) expect(agent int, caller string, sent time.Time) {
	p.mu.Lock()
	p.pending[agent][caller] = sent
	p.mu.Unlock()
}

// frame notes the pops a frame on agent's socket carries: the first frame naming a
// pending caller is that call's pop card.
func (p *pops) frame(agent int, msg []byte, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for caller, sent := range p.pending[agent] {
		if bytes.Contains(msg, []byte(caller)) {
			p.lat = append(p.lat, at.Sub(sent))
			delete(p.pending[agent], caller)
		}
	}
}

func (p *pops) outstanding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, m := range p.pending {
		n += len(m)
	}
	return n
}

var errNoSessions = errors.New("no agent could log in")
