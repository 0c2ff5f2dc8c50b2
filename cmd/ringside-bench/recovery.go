package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

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

// waitSnapshot polls /metrics until the server's snapshot covers seq (the log may
// grow meanwhile: expiries the server logs itself).
func waitSnapshot(ctx context.Context, s *server, key string, want uint64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		m := gauges(ctx, s, key)
		if m["ringside_snapshot_seq"] >= want {
			return nil
		}
		if err := s.pause(ctx, 50*time.Millisecond); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no snapshot at seq %d within %s (snapshot seq %d, log seq %d)", s.name, want, limit,
				m["ringside_snapshot_seq"], m["ringside_log_seq"])
		}
	}
}

// waitArchived polls /metrics until the retention sweep has moved the history's raw
// bodies to the compressed archive (a server that has run a few minutes holds them
// there): the archived count is above 0 and has not moved for two seconds.
func waitArchived(ctx context.Context, s *server, key string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	last := uint64(0)
	for {
		n := gauges(ctx, s, key)["ringside_deliveries_archived_total"]
		if n > 0 && n == last {
			return nil
		}
		last = n
		if err := s.pause(ctx, 2*time.Second); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the archive sweep did not run within %s", s.name, limit)
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
