package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The board's share of an intake run. While intake is saturated the server lets the
// board and the CDR writer fall behind the log (they pace themselves, see
// server/intakefirst.go), so the deliveries per second of a run do not include all of
// their work: how far the board was behind when the load ended, and how long it then
// took to apply the log, show what was left to do.

// boardLag is how many logged events the board has not applied yet (-1: unknown).
func (b *bench) boardLag(s *server) int64 {
	g := b.gauges(s, "ringside_log_seq", "ringside_board_seq")
	logSeq, ok1 := g["ringside_log_seq"]
	boardSeq, ok2 := g["ringside_board_seq"]
	if !ok1 || !ok2 {
		return -1
	}
	return int64(logSeq - boardSeq)
}

// catchUp waits (up to limit) until the board has applied the whole log; it returns the
// lag when called and how long the catching up took (-1: not within limit, or unknown).
func (b *bench) catchUp(ctx context.Context, s *server, limit time.Duration) (lag int64, took time.Duration) {
	t0 := time.Now()
	lag = b.boardLag(s)
	for l := lag; l != 0; l = b.boardLag(s) {
		if l < 0 || time.Since(t0) > limit || ctx.Err() != nil {
			return lag, -1
		}
		time.Sleep(50 * time.Millisecond)
	}
	return lag, time.Since(t0)
}

// gauges reads the named metrics' values from the server's /metrics.
func (b *bench) gauges(s *server, names ...string) map[string]float64 {
	req, _ := http.NewRequest("GET", s.base+"/metrics", nil)
	req.Header.Set("X-APIKEY", b.creds.apiKey)
	resp, err := quickClient.Do(req)
	if err != nil {
		return nil
	}
	defer drain(resp.Body)
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	out := map[string]float64{}
	for _, line := range strings.Split(string(text), "\n") {
		for _, n := range names {
			if v, ok := strings.CutPrefix(line, n+" "); ok {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					out[n] = f
				}
			}
		}
	}
	return out
}
