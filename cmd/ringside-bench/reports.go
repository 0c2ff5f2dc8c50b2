package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// reportResult is the reports' latency: a 31-day agents report and a 31-day queues
// report by day, alternately, and the same over every stored day.
type reportResult struct {
	p95, allP95 time.Duration
	n           int
	queues      int // queue rows of the last month's report
	agents      int
}

// measureReports times n month reports (half agents, half queues by day) ending now,
// then n/4 of both over the whole fill (every stored CDR).
func measureReports(ctx context.Context, s *server, key string, n, days int) (reportResult, error) {
	var res reportResult
	now := time.Now()
	run := func(from time.Time, count int) ([]time.Duration, error) {
		var took []time.Duration
		for i := range count {
			kind, body := "agents", map[string]any{"group_by": "total"}
			if i%2 == 1 {
				kind, body = "queues", map[string]any{"group_by": "day"}
			}
			body["from"], body["to"] = from.Format(time.RFC3339), now.Format(time.RFC3339)
			t0 := time.Now()
			rows, err := postReport(ctx, s, key, kind, body)
			if err != nil {
				return nil, err
			}
			took = append(took, time.Since(t0))
			if kind == "agents" {
				res.agents = rows
			} else {
				res.queues = rows
			}
		}
		slices.Sort(took)
		return took, nil
	}
	month, err := run(now.AddDate(0, 0, -31), n)
	if err != nil {
		return res, err
	}
	res.p95, res.n = percentile(month, 0.95), len(month)
	all, err := run(now.AddDate(0, 0, -days-1), max(2, n/4))
	if err != nil {
		return res, err
	}
	res.allP95 = percentile(all, 0.95)
	if res.queues == 0 || res.agents == 0 {
		return res, fmt.Errorf("reports: %d queue rows, %d agent rows; want some of each", res.queues, res.agents)
	}
	return res, nil
}

// postReport posts one report request and returns how many rows it answered.
func postReport(ctx context.Context, s *server, key, kind string, body map[string]any) (int, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", s.base+"/api/v1/reports/"+kind, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-APIKEY", key)
	resp, err := quickClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer drain(resp.Body)
	var out struct {
		Success int               `json:"success"`
		Message string            `json:"message"`
		Data    []json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.Success != 1 {
		return 0, fmt.Errorf("report %s: %s %s %v", kind, resp.Status, out.Message, err)
	}
	return len(out.Data), nil
}
