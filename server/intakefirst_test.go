package server

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringside/server/sim"
	"ringside/store"
)

// A burst of the simulator's deliveries from many connections at once saturates intake
// (the board and the CDR writer pace themselves meanwhile, see intakefirst.go): every
// delivery is acknowledged, and afterwards the board applies the whole log and the CDR
// writer stores what it ended, without anything else happening.
func TestBoardCatchesUpAfterABurst(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg)
	var srcs []sim.Source
	bySource := map[string]sim.Source{}
	for _, s := range cfg.Sources {
		src := simSource(t, cfg, s.Name, "")
		srcs = append(srcs, src)
		bySource[s.Name] = src
	}
	g := sim.NewGenerator(3, srcs, sim.Options{AgentsPerSource: 12, Speed: 600})
	const want = 3000
	now := time.Now()
	var reqs []*http.Request
	for at := now.Add(-want / 5 * g.Interval()); len(reqs) < want; at = at.Add(g.Interval()) {
		st := g.Next(at)
		for _, d := range sim.Render(bySource[st.Source], st) {
			h := d.Header.Clone()
			sim.Authorize(h, bySource[st.Source], d.Body, now)
			req, err := http.NewRequest(d.Method, e.url+d.Target, bytes.NewReader(d.Body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = h
			reqs = append(reqs, req)
		}
	}

	const conns = 96
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}, Timeout: time.Minute}
	var next, peak, gogc atomic.Int64
	var busy atomic.Bool
	stop := make(chan struct{})
	go func() { // how crowded the log's writer got, and how lazily Go collected meanwhile
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				if w := int64(e.st.Waiting()); w > peak.Load() {
					peak.Store(w)
				}
				if e.st.Busy() {
					busy.Store(true)
				}
				if p := gcPercent(); p > gogc.Load() {
					gogc.Store(p)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(reqs)); i = next.Add(1) - 1 {
				resp, err := client.Do(reqs[i])
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode/100 != 2 {
						err = fmt.Errorf("%d %s", resp.StatusCode, body)
					}
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s %s: %v", reqs[i].Method, reqs[i].URL.Path, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if len(failures) > 0 {
		t.Fatalf("%d of %d deliveries not acknowledged, first: %s", len(failures), len(reqs), failures[0])
	}
	logged := e.st.LastSeq()
	t.Logf("%d deliveries, %d events; at most %d deliveries waited for a commit at once (the store busy: %v)",
		len(reqs), logged, peak.Load(), busy.Load())

	if limited := debug.SetMemoryLimit(-1) < math.MaxInt64; limited && os.Getenv("GOGC") == "" && busy.Load() {
		if gogc.Load() != burstGCPercent {
			t.Errorf("GOGC during the burst went up to %d, want %d", gogc.Load(), burstGCPercent)
		}
		deadline := time.Now().Add(10 * time.Second)
		for gcPercent() != 100 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if p := gcPercent(); p != 100 {
			t.Errorf("GOGC %d after the burst, want 100", p)
		}
	}

	b := e.srv.board
	deadline := time.Now().Add(time.Minute)
	for b.progressed.Load() < logged {
		if time.Now().After(deadline) {
			t.Fatalf("the board applied %d of %d events a minute after the burst", b.progressed.Load(), logged)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !b.cdrs.flush() {
		t.Fatal("the CDR writer failed to store the calls the burst ended")
	}
	_, cdrs, err := e.st.SearchCDRs(store.Query{Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	if cdrs == 0 {
		t.Fatal("no CDR stored after the burst")
	}
	t.Logf("%d CDRs stored", cdrs)
}

// gcPercent is Go's GOGC now.
func gcPercent() int64 {
	s := []runtimemetrics.Sample{{Name: "/gc/gogc:percent"}}
	runtimemetrics.Read(s)
	return int64(s[0].Value.Uint64())
}
