package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// recoveryResult: replay is the first start over the prefilled log (no snapshot yet:
// every event is replayed); recovery is the restart after kill -9 of the server that
// has run (snapshot plus the log after it).
type recoveryResult struct {
	events           int
	replay, recovery time.Duration
}

// measureRecovery fills a log with n events, starts a server on it and waits until
// the board has applied all of it; then logs one more call through the server, kills
// it with SIGKILL, starts it again and times that restart until the board shows the
// last call.
func measureRecovery(ctx context.Context, b *bench, n int) (recoveryResult, error) {
	res := recoveryResult{events: n}
	data := filepath.Join(b.dir, "recovery")
	first, firstID := markerCall(b.creds.push, fmt.Sprintf("%d.1", time.Now().Unix()))
	b.o.progress("recovery: logging %d events", n)
	if err := fillEvents(ctx, filepath.Join(data, "ringside.db"), b.creds.sources, n, first, b.creds.push); err != nil {
		return res, fmt.Errorf("filling the event log: %w", err)
	}
	b.o.progress("recovery: first start, replaying the whole log")
	t := time.Now()
	s, err := startChild(ctx, b, "recovery", data)
	if err != nil {
		return res, err
	}
	defer func() { s.kill() }()
	if err := waitCall(ctx, s, b.creds.apiKey, firstID, 30*time.Minute); err != nil {
		return res, err
	}
	res.replay = time.Since(t)
	// A server that has run has a snapshot: wait for the one taken on catching up.
	if err := waitSnapshot(ctx, s, b.creds.apiKey, 10*time.Minute); err != nil {
		return res, err
	}

	last, lastID := markerCall(b.creds.push, fmt.Sprintf("%d.2", time.Now().Unix()))
	hc := newHookClient(s.addr, 1)
	h := prepare(b.creds.push, last, time.Now())
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	code, err := post(hc, &h, req, resp)
	if err != nil || code != 200 {
		return res, fmt.Errorf("recovery: logging the last call: %d %v %s", code, err, resp.Body())
	}
	fasthttp.ReleaseRequest(req)
	fasthttp.ReleaseResponse(resp)
	hc.CloseIdleConnections()
	s.kill()
	b.o.progress("recovery: killed (SIGKILL), restarting")
	t = time.Now()
	if err := s.start(); err != nil {
		return res, err
	}
	if err := waitCall(ctx, s, b.creds.apiKey, lastID, 5*time.Minute); err != nil {
		return res, err
	}
	res.recovery = time.Since(t)
	return res, nil
}

// waitCall polls GET /api/v1/calls/{id} until the board knows the call (connection
// refused while the server starts is part of the wait).
func waitCall(ctx context.Context, s *server, key, id string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/api/v1/calls/"+url.PathEscape(id), nil)
		req.Header.Set("X-APIKEY", key)
		if resp, err := quickClient.Do(req); err == nil {
			drain(resp.Body)
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if err := s.pause(ctx, 5*time.Millisecond); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: call %s not on the board within %s (log: %s)", s.name, id, limit, s.tail())
		}
	}
}

// waitSnapshot polls /metrics until the server's snapshot covers the log it had when
// the wait began.
func waitSnapshot(ctx context.Context, s *server, key string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var want uint64
	for {
		m := gauges(ctx, s, key)
		if want == 0 {
			want = m["ringside_log_seq"]
		}
		if want > 0 && m["ringside_snapshot_seq"] >= want {
			return nil
		}
		if err := s.pause(ctx, 50*time.Millisecond); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no snapshot at seq %d within %s (metrics %v)", s.name, want, limit, m)
		}
	}
}

// gauges reads the plain "name value" lines of /metrics.
func gauges(ctx context.Context, s *server, key string) map[string]uint64 {
	out := map[string]uint64{}
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/metrics", nil)
	req.Header.Set("X-APIKEY", key)
	resp, err := quickClient.Do(req)
	if err != nil {
		return out
	}
	defer drain(resp.Body)
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	for _, line := range strings.Split(string(text), "\n") {
		if name, v, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(name, "#") {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 { // 1e+06 is how large values print
				out[name] = uint64(f)
			}
		}
	}
	return out
}
