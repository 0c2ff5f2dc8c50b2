package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// results is what the command prints: the figures, and Detail, the conditions
// they were measured under.
type results struct {
	IntakePerS     float64 `json:"intake_per_s"`
	FloorPerS      float64 `json:"floor_per_s"`
	IntakeRatio    float64 `json:"intake_ratio"`
	PushP50Ms      float64 `json:"push_p50_ms"`
	PushP99Ms      float64 `json:"push_p99_ms"`
	WSClients      int     `json:"ws_clients"`
	RSSMB          float64 `json:"rss_mb"`
	CDRSearchP95Ms float64 `json:"cdr_search_p95_ms"`
	CSV100kS       float64 `json:"csv_100k_s"`
	ReportMonthMs  float64 `json:"report_month_ms"`
	RecoveryS      float64 `json:"recovery_s"`
	// a big center's history (history.go)
	RSS1MMB         float64 `json:"rss_1m_mb"`
	DBBytesPerEvent float64 `json:"db_bytes_per_event"`
	RestartAckS     float64 `json:"restart_ack_s"`
	RestartReadyS   float64 `json:"restart_ready_s"`
	FirstStartS     float64 `json:"first_start_s"`
	// the crash loop: acknowledged deliveries missing from the log, or in it twice
	CrashLost       int    `json:"crash_lost"`
	CrashDuplicated int    `json:"crash_duplicated"`
	Detail          detail `json:"detail"`
}

type detail struct {
	Cores        int     `json:"cores"`
	LoadAvg      float64 `json:"loadavg_1m"`   // the machine's, at the start: other work skews every figure
	Conns        int     `json:"intake_conns"` // the connections of intake's best rung
	FloorConns   int     `json:"floor_conns"`  // and of the floor's
	Rungs        []rung  `json:"intake_rungs"` // every rung of the ladder (ladder.go)
	LoadGen      string  `json:"intake_load"`  // what sent intake's and the floor's load
	IntakeOK     int64   `json:"intake_ok"`
	IntakeFailed int64   `json:"intake_failed"`
	IntakeS      float64 `json:"intake_s"`
	// the board's events left to apply when the load ended, and the time it took (-1: over a minute, or unknown)
	IntakeBoardLag int64   `json:"intake_board_lag"`
	IntakeCatchUpS float64 `json:"intake_catch_up_s"`
	// cores used during intake and floor by the server and by the load (this process)
	IntakeServerCores float64 `json:"intake_server_cores"`
	IntakeClientCores float64 `json:"intake_client_cores"`
	FloorServerCores  float64 `json:"floor_server_cores"`
	FloorClientCores  float64 `json:"floor_client_cores"`
	// cores used by other processes of the machine meanwhile: noise in the figures
	IntakeOtherCores float64            `json:"intake_other_cores"`
	FloorOtherCores  float64            `json:"floor_other_cores"`
	PushOtherCores   float64            `json:"push_other_cores"`
	PushServerCores  float64            `json:"push_server_cores"`
	PushAckP50Ms     float64            `json:"push_ack_p50_ms"` // the ringing delivery's 2xx: intake's share of a pop
	PushAckP99Ms     float64            `json:"push_ack_p99_ms"`
	PushClientCores  float64            `json:"push_client_cores"`
	PushRunsP99Ms    []float64          `json:"push_runs_p99_ms"` // each run's; push_p99_ms is the worst
	Rate             float64            `json:"push_rate"`
	Agents           int                `json:"push_agents"`
	Wallboards       int                `json:"push_wallboards"`
	PushCalls        int                `json:"push_calls"`
	PushSamples      int                `json:"push_samples"`
	PushLost         int                `json:"push_lost"`
	PushFailed       int64              `json:"push_failed"`
	SocketsDropped   int64              `json:"sockets_dropped"`
	RSSAnonMB        float64            `json:"rss_anon_mb"`
	RSSFileMB        float64            `json:"rss_file_mb"`
	CDRs             int                `json:"cdrs"`
	SearchP50Ms      float64            `json:"cdr_search_p50_ms"`
	SearchP95ByKind  map[string]float64 `json:"cdr_search_p95_ms_by_kind"`
	Searches         int                `json:"searches"`
	CSVRows          int                `json:"csv_rows"`
	CSVS             float64            `json:"csv_s"`
	CDRStartS        float64            `json:"cdr_start_s"` // server start over the filled store: builds the report buckets
	Reports          int                `json:"reports"`
	ReportAllMs      float64            `json:"report_all_ms"` // p95 over every stored day
	ReportQueueRows  int                `json:"report_queue_rows"`
	ReportAgentRows  int                `json:"report_agent_rows"`
	Events           int                `json:"events"`
	ReplayS          float64            `json:"full_replay_s"`
	ReplayCPUS       float64            `json:"full_replay_cpu_s"`       // the server's CPU time over it
	ReplayOtherCores float64            `json:"full_replay_other_cores"` // other processes' CPU over it, in cores
	FillS            float64            `json:"history_fill_s"`
	SnapshotS        float64            `json:"history_first_snapshot_s"` // first start to its first snapshot
	RSSFirstMB       float64            `json:"rss_first_start_mb"`
	RSSFirstAnonMB   float64            `json:"rss_first_start_anon_mb"`
	RSSRestartMB     float64            `json:"rss_restart_mb"`
	RSSFirstPeakMB   float64            `json:"rss_first_start_peak_mb"`
	RSSRestartPeakMB float64            `json:"rss_restart_peak_mb"`
	DBMB             float64            `json:"db_mb"`
	TermStopS        float64            `json:"sigterm_stop_s"`
	TermAckS         float64            `json:"sigterm_ack_s"`
	TermReadyS       float64            `json:"sigterm_ready_s"`
	TermRefused      int                `json:"sigterm_refused"`
	KillAckS         float64            `json:"kill_ack_s"`
	KillReadyS       float64            `json:"kill_ready_s"`
	KillRefused      int                `json:"kill_refused"`
	FullBurstConns   int                `json:"full_board_burst_conns"`
	FullBurstPerS    float64            `json:"full_board_burst_per_s"` // intake on the history's board
	FullBurstCores   float64            `json:"full_board_burst_server_cores"`
	FullBurstCatchS  float64            `json:"full_board_burst_catch_up_s"`
	FullBurstRSSMB   float64            `json:"full_board_burst_rss_mb"` // settleWait after its board caught up
	FullBurstAnonMB  float64            `json:"full_board_burst_anon_mb"`
	CrashRounds      int                `json:"crash_rounds"`
	CrashAcked       int                `json:"crash_acked"`
	CrashRefused     int                `json:"crash_refused"` // answered, not 200
	CrashRetries     int64              `json:"crash_retries"` // sent again after a connection error
}

// phases, in the order they run.
var phases = []string{"intake", "push", "cdrs", "recovery", "crashloop"} // recovery: the history phase (history.go)

// bench is one run.
type bench struct {
	o      *options
	dir    string // temporary: data directories, configs, logs
	bin    string
	creds  *creds
	remote *server // -url mode
	res    results
}

func runBench(ctx context.Context, o *options) (*results, error) {
	limit := raiseFileLimit()
	if need := uint64(o.sockets + 512); limit < need {
		return nil, fmt.Errorf("open-files limit is %d, -sockets %d needs about %d (raise the hard limit: ulimit -Hn)", limit, o.sockets, need)
	}
	dir, err := os.MkdirTemp("", "ringside-bench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "ringside-bench: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	b := &bench{o: o, dir: dir}
	if o.url != "" {
		if b.creds, err = remoteCreds(o.config); err != nil {
			return nil, err
		}
		u, err := url.Parse(o.url)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("-url %q: want http://host:port", o.url)
		}
		b.remote = &server{name: "server", base: strings.TrimRight(o.url, "/"), addr: u.Host, pid: o.pid}
		if len(b.creds.agents) > o.agents {
			b.creds.agents = b.creds.agents[:o.agents]
		}
	} else {
		if b.creds, err = localCreds(o.agents); err != nil {
			return nil, err
		}
		if b.bin, err = buildServer(ctx, o, dir); err != nil {
			return nil, err
		}
	}
	b.res.Detail.Cores, b.res.Detail.LoadAvg = numCPU(), loadAvg()
	if b.res.Detail.LoadAvg > 0.5 {
		o.progress("warning: the machine is busy (load average %.2f): figures will be low and noisy", b.res.Detail.LoadAvg)
	}
	for i, phase := range []func(context.Context) error{b.intake, b.push, b.cdrs, b.recovery, b.crashloop} {
		if o.only != nil && !o.only[phases[i]] {
			continue
		}
		if err := phase(ctx); err != nil {
			return nil, err
		}
	}
	return &b.res, nil
}

// server starts a fresh server child for a phase (data in its own directory), or
// returns the -url server.
func (b *bench) server(ctx context.Context, name string) (*server, error) {
	if b.remote != nil {
		return b.remote, nil
	}
	return startChild(ctx, b, name, filepath.Join(b.dir, name))
}

// done ends a phase's server child; it is disposable, so it is killed.
func (b *bench) done(s *server) {
	if s != b.remote {
		s.kill()
	}
}

// metrics is the server's own count of deliveries (accepted, duplicate, rejected).
func (b *bench) metrics(s *server) string {
	req, _ := http.NewRequest("GET", s.base+"/metrics", nil)
	req.Header.Set("X-APIKEY", b.creds.apiKey)
	resp, err := quickClient.Do(req)
	if err != nil {
		return ""
	}
	defer drain(resp.Body)
	var b2 strings.Builder
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "ringside_deliveries_total{") {
			b2.WriteString(strings.TrimPrefix(line, "ringside_deliveries_total") + " ")
		}
		if strings.HasPrefix(line, "ringside_log_commit_seconds_sum") || strings.HasPrefix(line, "ringside_log_commit_seconds_count") {
			b2.WriteString(strings.TrimPrefix(line, "ringside_log_") + " ")
		}
	}
	return strings.TrimSpace(b2.String())
}

func (b *bench) push(ctx context.Context) error {
	o, c := b.o, b.creds
	s, err := b.server(ctx, "push")
	if err != nil {
		return err
	}
	defer b.done(s)
	o.progress("push: logging in %d agents and a supervisor", len(c.agents))
	sessions, err := loginAll(ctx, s, c.agents)
	if err != nil {
		return err
	}
	super, err := loginAs(ctx, s.base, c.super)
	if err != nil {
		return err
	}
	cs := &clients{}
	defer cs.close()
	p := newPops(len(c.agents))
	o.progress("push: opening %d agent and %d wallboard sockets", len(c.agents), o.walls)
	err = cs.dialMany(ctx, s, len(c.agents), 16, func(i int) (string, string, func([]byte, time.Time)) {
		return "agent", sessions[i], func(m []byte, at time.Time) { p.frame(i, m, at) }
	})
	if err == nil {
		err = cs.dialMany(ctx, s, o.walls, 4, func(int) (string, string, func([]byte, time.Time)) { return "wallboard", super, nil })
	}
	if err != nil {
		return err
	}
	time.Sleep(200*time.Millisecond + time.Duration(len(c.agents))*400*time.Microsecond) // initial frames
	var pr pushResult
	r := &b.res
	for run := range o.pushRuns {
		o.progress("push: run %d of %d, ringing calls at %.0f deliveries/s for %s", run+1, o.pushRuns, o.rate, o.pushFor)
		got, err := measurePush(ctx, o, c, s, p, run)
		if err != nil {
			return err
		}
		r.Detail.PushRunsP99Ms = append(r.Detail.PushRunsP99Ms, ms(got.p99))
		o.progress("push: run %d p50 %.1f ms, p99 %.1f ms", run+1, ms(got.p50), ms(got.p99))
		if run == 0 || got.p99 > pr.p99 {
			pr = got // the worst run is the figure
		}
	}
	r.PushP50Ms, r.PushP99Ms = ms(pr.p50), ms(pr.p99)
	r.Detail.Rate, r.Detail.Agents, r.Detail.Wallboards = float64(pr.scheduled)/pr.elapsed.Seconds(), len(c.agents), o.walls
	r.Detail.PushCalls, r.Detail.PushSamples, r.Detail.PushLost, r.Detail.PushFailed = pr.calls, pr.samples, pr.lost, pr.failed
	r.Detail.PushServerCores, r.Detail.PushClientCores, r.Detail.PushOtherCores = pr.serverCores, pr.clientCores, pr.otherCores
	r.Detail.PushAckP50Ms, r.Detail.PushAckP99Ms = ms(pr.ackP50), ms(pr.ackP99)
	o.progress("push: p50 %.1f ms, p99 %.1f ms over %d pops (ringing delivery acknowledged: p50 %.1f ms, p99 %.1f ms; %d lost, %d deliveries failed; server %.2f cores, load %.2f, other processes %.2f)",
		r.PushP50Ms, r.PushP99Ms, pr.samples, r.Detail.PushAckP50Ms, r.Detail.PushAckP99Ms, pr.lost, pr.failed, pr.serverCores, pr.clientCores, pr.otherCores)

	if extra := o.sockets - int(cs.open.Load()); extra > 0 {
		o.progress("sockets: opening %d more agent sockets (second tabs)", extra)
		err := cs.dialMany(ctx, s, extra, 32, func(i int) (string, string, func([]byte, time.Time)) {
			return "agent", sessions[i%len(sessions)], nil
		})
		if err != nil {
			return fmt.Errorf("sockets: after %d open: %w", cs.open.Load(), err)
		}
	}
	time.Sleep(500*time.Millisecond + time.Duration(o.sockets)*150*time.Microsecond) // settle: initial frames sent
	r.WSClients = int(cs.open.Load())
	r.Detail.SocketsDropped = cs.dropped.Load()
	if r.Detail.SocketsDropped > 0 {
		cs.dropMu.Lock()
		o.progress("sockets: %d dropped by the server while held; the first: %s", r.Detail.SocketsDropped, cs.dropErr)
		cs.dropMu.Unlock()
	}
	if s.pid > 0 {
		m, err := memory(s.pid)
		if err != nil {
			return err
		}
		r.RSSMB, r.Detail.RSSAnonMB, r.Detail.RSSFileMB = m.rss, m.anon, m.file
	}
	o.progress("sockets: %d held, server RSS %.0f MiB", r.WSClients, r.RSSMB)
	return nil
}

// loginAll logs every agent in, eight at a time.
func loginAll(ctx context.Context, s *server, agents []agentLogin) ([]string, error) {
	out := make([]string, len(agents))
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(agents); i = int(next.Add(1) - 1) {
				sess, err := loginAs(ctx, s.base, agents[i].login)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				out[i] = sess
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return out, first
}

func (b *bench) cdrs(ctx context.Context) error {
	o := b.o
	var s *server
	var err error
	if b.remote != nil {
		s = b.remote
	} else {
		data := filepath.Join(b.dir, "cdrs")
		o.progress("cdrs: storing %d CDRs", o.cdrs)
		if err := fillCDRs(ctx, filepath.Join(data, "ringside.db"), b.creds.sources, o.cdrs, b.creds.reportRules()); err != nil {
			return fmt.Errorf("storing CDRs: %w", err)
		}
		t0 := time.Now()
		if s, err = startChild(ctx, b, "cdrs", data); err != nil {
			return err
		}
		b.res.Detail.CDRStartS = time.Since(t0).Seconds()
		defer b.done(s)
	}
	o.progress("cdrs: %d searches", o.searches)
	sr, err := measureSearch(ctx, s, b.creds.apiKey, o.searches)
	if err != nil {
		return err
	}
	o.progress("cdrs: %d month reports", o.searches/5)
	rr, err := measureReports(ctx, s, b.creds.apiKey, max(10, o.searches/5), (o.cdrs+cdrsPerDay-1)/cdrsPerDay)
	if err != nil {
		return err
	}
	r := &b.res
	r.ReportMonthMs, r.Detail.Reports, r.Detail.ReportAllMs = ms(rr.p95), rr.n, ms(rr.allP95)
	r.Detail.ReportQueueRows, r.Detail.ReportAgentRows = rr.queues, rr.agents
	o.progress("cdrs: month report p95 %.1f ms (%d queue-day rows, %d agents), all %d days %.1f ms; server start %.1fs",
		r.ReportMonthMs, rr.queues, rr.agents, (o.cdrs+cdrsPerDay-1)/cdrsPerDay, r.Detail.ReportAllMs, r.Detail.CDRStartS)
	super, err := loginAs(ctx, s.base, b.creds.super)
	if err != nil {
		return err
	}
	days := (100000 + cdrsPerDay - 1) / cdrsPerDay
	o.progress("cdrs: CSV export of the last %d days", days)
	rows, took, err := measureCSV(ctx, s, super, days, b.creds.zone())
	if err != nil {
		return err
	}
	if rows == 0 {
		return fmt.Errorf("CSV export: no rows")
	}
	r.CDRSearchP95Ms, r.Detail.SearchP50Ms, r.Detail.Searches, r.Detail.CDRs = ms(sr.p95), ms(sr.p50), sr.n, sr.total
	r.Detail.SearchP95ByKind = sr.byKind
	o.progress("cdrs: search p95 by kind (ms): %v", sr.byKind)
	r.CSV100kS, r.Detail.CSVRows, r.Detail.CSVS = took.Seconds()*100000/float64(rows), rows, took.Seconds()
	o.progress("cdrs: search p95 %.1f ms over %d CDRs (%d of %d found rows); CSV %d rows in %.2fs",
		r.CDRSearchP95Ms, sr.total, sr.hits, sr.n, rows, took.Seconds())
	return nil
}

func (b *bench) recovery(ctx context.Context) error {
	if b.remote != nil {
		b.o.progress("history: not measured with -url (it needs to kill and restart the server)")
		return nil
	}
	h, err := measureHistory(ctx, b, b.o.events)
	if err != nil {
		return err
	}
	r, d := &b.res, &b.res.Detail
	r.FirstStartS, r.RSS1MMB = h.firstStart.Seconds(), max(h.first.rss, h.rssAfter)
	r.DBBytesPerEvent = h.dbInUse
	r.RestartAckS = max(h.sigterm.ack, h.kill.ack).Seconds()
	r.RestartReadyS = max(h.sigterm.ready, h.kill.ready).Seconds()
	r.RecoveryS = h.kill.ready.Seconds()
	d.ReplayCPUS, d.ReplayOtherCores = h.firstCPU.Seconds(), h.otherCPU.Seconds()/h.firstStart.Seconds()
	d.Events, d.ReplayS, d.FillS, d.SnapshotS = h.events, h.firstStart.Seconds(), h.fillTook.Seconds(), h.firstSnap.Seconds()
	d.RSSFirstMB, d.RSSFirstAnonMB, d.RSSRestartMB, d.DBMB = h.first.rss, h.first.anon, h.rssAfter, float64(h.dbBytes)/(1<<20)
	d.RSSFirstPeakMB, d.RSSRestartPeakMB = h.first.peak, h.afterPeak
	d.TermStopS, d.TermAckS, d.TermReadyS, d.TermRefused = h.sigterm.stop.Seconds(), h.sigterm.ack.Seconds(), h.sigterm.ready.Seconds(), h.sigterm.refused
	d.KillAckS, d.KillReadyS, d.KillRefused = h.kill.ack.Seconds(), h.kill.ready.Seconds(), h.kill.refused
	d.FullBurstConns, d.FullBurstPerS, d.FullBurstCores = h.burst.conns, h.burst.perS, h.burst.cores
	d.FullBurstCatchS, d.FullBurstRSSMB, d.FullBurstAnonMB = h.burst.catchUp.Seconds(), h.burst.rss, h.burst.anon
	b.o.progress("history: first start %.1fs, RSS %.0f MiB, %.0f bytes an event; SIGTERM restart ack %.2fs ready %.2fs; kill -9 restart ack %.2fs ready %.2fs",
		r.FirstStartS, r.RSS1MMB, r.DBBytesPerEvent, d.TermAckS, d.TermReadyS, d.KillAckS, d.KillReadyS)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// printJSON writes the results as one JSON object.
func printJSON(w interface{ Write([]byte) (int, error) }, r *results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
