package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"ringside/server/sim"
)

// hook is one webhook request ready to send: a simulator delivery with its source's
// credentials (and SipSim signature) already added, so sending costs no rendering.
type hook struct {
	method, target string
	header         []string // name, value pairs
	body           []byte
}

func prepare(src sim.Source, d sim.Delivery, now time.Time) hook {
	h := d.Header.Clone()
	sim.Authorize(h, src, d.Body, now)
	k := hook{method: d.Method, target: d.Target, body: d.Body}
	for name, vs := range h {
		for _, v := range vs {
			k.header = append(k.header, name, v)
		}
	}
	return k
}

// renderPool renders at least n distinct deliveries of the generator's mixed traffic
// (every vendor, every transport variant), in story order, the latest story ending
// about now. Byte-identical deliveries (an agent's repeated state) are left out: the
// server would acknowledge them as retries without writing.
func renderPool(srcs []sim.Source, n int, seed uint64) []hook {
	g := sim.NewGenerator(seed, srcs, sim.Options{AgentsPerSource: 12, Speed: 600})
	bySrc := map[string]sim.Source{}
	for _, s := range g.Sources() {
		bySrc[s.Name] = s
	}
	step := g.Interval()
	t := time.Now().Add(-time.Duration(n/5+1) * step) // about five deliveries a story
	now := time.Now()
	seen := make(map[[16]byte]bool, n)
	out := make([]hook, 0, n+16)
	for len(out) < n {
		st := g.Next(t)
		t = t.Add(step)
		src := bySrc[st.Source]
		for _, d := range sim.Render(src, st) {
			sum := sha256.Sum256(append([]byte(d.Method+" "+d.Target+"\n"), d.Body...))
			if k := [16]byte(sum[:16]); !seen[k] {
				seen[k] = true
				out = append(out, prepare(src, d, now))
			}
		}
	}
	return out
}

// newHookClient is a keep-alive client for webhooks with up to conns connections.
func newHookClient(addr string, conns int) *fasthttp.HostClient {
	return &fasthttp.HostClient{Addr: addr, MaxConns: conns, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, MaxIdleConnDuration: time.Minute, MaxConnWaitTimeout: 30 * time.Second}
}

// post sends one hook and returns the status code.
func post(hc *fasthttp.HostClient, h *hook, req *fasthttp.Request, resp *fasthttp.Response) (int, error) {
	req.Reset()
	resp.Reset()
	req.Header.SetMethod(h.method)
	req.SetRequestURI(h.target)
	req.Header.SetHost(hc.Addr)
	for i := 0; i+1 < len(h.header); i += 2 {
		req.Header.Set(h.header[i], h.header[i+1])
	}
	if len(h.body) > 0 {
		req.SetBodyRaw(h.body)
	}
	if err := hc.Do(req, resp); err != nil {
		return 0, err
	}
	return resp.StatusCode(), nil
}

// load is the outcome of driving a server with the pool.
type load struct {
	ok, failed int64
	elapsed    time.Duration
	exhausted  bool   // the pool ran out before the duration
	lastErr    string // the last failure: status or error
	// cores used meanwhile by the server, by this process (the load) and by every
	// other process of the machine (noise)
	serverCores, clientCores, otherCores float64
}

func (l load) perSecond() float64 {
	if l.elapsed <= 0 {
		return 0
	}
	return float64(l.ok) / l.elapsed.Seconds()
}

// drive posts the pool's deliveries, in order, from conns concurrent keep-alive
// connections for d (or until the pool runs out) and counts the 2xx answers.
func drive(ctx context.Context, s *server, pool []hook, d time.Duration, conns int) load {
	hc := newHookClient(s.addr, conns)
	cpuS, cpuC, cpuM := cpuTime(s.pid), cpuTime(0), machineBusy()
	var next atomic.Int64
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var l load
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(len(pool)) {
					mu.Lock()
					l.exhausted = true
					mu.Unlock()
					return
				}
				code, err := post(hc, &pool[i], req, resp)
				if err == nil && code/100 == 2 {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				mu.Lock()
				if err != nil {
					l.lastErr = err.Error()
				} else {
					l.lastErr = fmt.Sprintf("%d %s %s: %.200s", code, pool[i].method, pool[i].target, resp.Body())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	l.elapsed = time.Since(start)
	l.ok, l.failed = ok.Load(), failed.Load()
	if s.pid > 0 {
		l.serverCores = (cpuTime(s.pid) - cpuS).Seconds() / l.elapsed.Seconds()
	}
	l.clientCores = (cpuTime(0) - cpuC).Seconds() / l.elapsed.Seconds()
	if s.pid > 0 && cpuM > 0 {
		l.otherCores = max(0, (machineBusy()-cpuM).Seconds()/l.elapsed.Seconds()-l.serverCores-l.clientCores)
	}
	hc.CloseIdleConnections()
	return l
}
