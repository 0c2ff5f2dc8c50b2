package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if floorChild() { // the benchmark starts this binary again as its floor server
		return
	}
	os.Exit(m.Run())
}

// TestQuickRun is CI's smoke test: the whole benchmark at tiny sizes. It checks that
// every phase ran and produced its figure, never how fast anything was.
// RINGSIDE_BENCH_BIN names a ringside binary to use instead of building one.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	args := []string{"-json", "-duration", "1s", "-push-for", "2s", "-conns", "32", "-agents", "10", "-wallboards", "2",
		"-rate", "60", "-sockets", "30", "-cdrs", "3000", "-events", "3000", "-searches", "12", "-crash-rounds", "2"}
	if bin := os.Getenv("RINGSIDE_BENCH_BIN"); bin != "" {
		args = append(args, "-bin", bin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // generous: a loaded 2-core machine
	defer cancel()
	var out, errs bytes.Buffer
	if code := run(ctx, args, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"intake_per_s", "floor_per_s", "intake_ratio", "push_p50_ms", "push_p99_ms", "ws_clients",
		"rss_mb", "cdr_search_p95_ms", "csv_100k_s", "report_month_ms", "recovery_s",
		"rss_1m_mb", "db_bytes_per_event", "restart_ack_s", "restart_ready_s", "first_start_s"} {
		v, ok := got[k].(float64)
		if !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, got[k])
		}
	}
	if n, _ := got["ws_clients"].(float64); n != 30 {
		t.Errorf("ws_clients = %v, want the 30 sockets asked for", n)
	}
	d, _ := got["detail"].(map[string]any)
	if lost, _ := d["push_lost"].(float64); lost != 0 {
		t.Errorf("%v screen-pops never arrived", lost)
	}
	rungs, _ := d["intake_rungs"].([]any)
	if len(rungs) < 2 {
		t.Errorf("the intake ladder climbed %d rungs, want at least 2 (one to gain over)", len(rungs))
	}
	for _, g := range rungs {
		g, _ := g.(map[string]any)
		if in, fl := g["intake_per_s"].(float64), g["floor_per_s"].(float64); in <= 0 || fl <= 0 {
			t.Errorf("rung %v: intake %v/s, floor %v/s", g["conns"], in, fl)
		}
	}
	for _, k := range []string{"full_board_burst_per_s", "full_board_burst_rss_mb"} {
		if v, _ := d[k].(float64); v <= 0 {
			t.Errorf("%s = %v, want a positive number (the burst on the history's board)", k, d[k])
		}
	}
	if acked, _ := d["crash_acked"].(float64); acked == 0 {
		t.Error("the crash loop had no delivery acknowledged")
	}
	for _, k := range []string{"crash_lost", "crash_duplicated"} {
		if v, _ := got[k].(float64); v != 0 {
			t.Errorf("%s = %v, want 0", k, v)
		}
	}
}

func TestFlags(t *testing.T) {
	var errs bytes.Buffer
	o, err := parseFlags([]string{"-full", "-agents", "7"}, &errs)
	if err != nil {
		t.Fatal(err)
	}
	if o.agents != 7 || o.sockets != 10000 || o.cdrs != 1000000 || o.rate != 500 {
		t.Errorf("-full with -agents 7: agents %d sockets %d cdrs %d rate %v", o.agents, o.sockets, o.cdrs, o.rate)
	}
	if _, err := parseFlags([]string{"-url", "http://x"}, &errs); err == nil {
		t.Error("-url without -config was accepted")
	}
	if code := run(context.Background(), []string{"-rate", "0"}, &errs, &errs); code != 2 {
		t.Errorf("-rate 0: exit %d, want 2", code)
	}
}
