package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
)

func numCPU() int { return runtime.NumCPU() }

// row is one line of the table: a figure and its target (cmp "≥" or "≤"; none if
// the figure has no target of its own).
type row struct {
	metric string
	value  float64
	format string
	cmp    string
	target float64
	unit   string
}

// counted are the rows whose 0 is a measured value, not "not measured".
var counted = map[string]bool{"crash_lost": true, "crash_duplicated": true}

func printTable(w io.Writer, o *options, r *results) {
	d := r.Detail
	rows := []row{
		{"intake_per_s", r.IntakePerS, "%.0f", "≥", 20000, fmt.Sprintf("deliveries/s, 2xx after fsync; the best rung, %d connections", d.Conns)},
		{"floor_per_s", r.FloorPerS, "%.0f", "", 0, fmt.Sprintf("bare fiber + bbolt DB.Batch, the same loads; its best rung, %d connections", d.FloorConns)},
		{"intake_ratio", r.IntakeRatio, "%.2f", "≥", 0.8, "intake ÷ floor, each at its best"},
		{"push_p50_ms", r.PushP50Ms, "%.1f", "", 0, fmt.Sprintf("the ringing delivery's own 2xx (intake's share): p50 %.1f, p99 %.1f ms", d.PushAckP50Ms, d.PushAckP99Ms)},
		{"push_p99_ms", r.PushP99Ms, "%.1f", "≤", 25, fmt.Sprintf("worst of %d runs %v, at %.0f/s, %d agent + %d wallboard sockets (target: 500/s, 2000 + 100)", len(d.PushRunsP99Ms), d.PushRunsP99Ms, d.Rate, d.Agents, d.Wallboards)},
		{"ws_clients", float64(r.WSClients), "%.0f", "≥", 10000, "sockets held at once"},
		{"rss_mb", r.RSSMB, "%.0f", "≤", 1024, fmt.Sprintf("server VmRSS with them (anon %.0f, file %.0f)", d.RSSAnonMB, d.RSSFileMB)},
		{"cdr_search_p95_ms", r.CDRSearchP95Ms, "%.1f", "≤", 30, fmt.Sprintf("over %d CDRs (target: 1M)", d.CDRs)},
		{"csv_100k_s", r.CSV100kS, "%.2f", "≤", 2, fmt.Sprintf("%d rows in %.2fs, scaled to 100k", d.CSVRows, d.CSVS)},
		{"report_month_ms", r.ReportMonthMs, "%.1f", "≤", 150, fmt.Sprintf("31-day agents and queues-by-day reports, %d CDRs stored (target: 1M); every day: %.1f ms; start with the buckets built: %.1fs", d.CDRs, d.ReportAllMs, d.CDRStartS)},
		{"recovery_s", r.RecoveryS, "%.2f", "≤", 2, fmt.Sprintf("kill -9 to ready with %d events (target: 1M)", d.Events)},
		{"rss_1m_mb", r.RSS1MMB, "%.0f", "≤", 512, fmt.Sprintf("server VmRSS over %d events of 48 h, %.0fs after catching up (the first start: its snapshot and archive sweep done): first start %.0f (anon %.0f; peak %.0f), after a restart %.0f (peak %.0f)", d.Events, settleWait.Seconds(), d.RSSFirstMB, d.RSSFirstAnonMB, d.RSSFirstPeakMB, d.RSSRestartMB, d.RSSRestartPeakMB)},
		{"db_bytes_per_event", r.DBBytesPerEvent, "%.0f", "≤", 1024, fmt.Sprintf("pages in use, the raw bodies archived; the file %.0f MiB after the first start", d.DBMB)},
		{"first_start_s", r.FirstStartS, "%.1f", "≤", 15, fmt.Sprintf("start over the whole log (no snapshot) to its last call on the board; server CPU %.1fs, other processes %.2f cores", d.ReplayCPUS, d.ReplayOtherCores)},
		{"restart_ack_s", r.RestartAckS, "%.2f", "≤", 0.5, fmt.Sprintf("new process to first 200: SIGTERM %.2f (%d probes refused; exit took %.1fs), kill -9 %.2f (%d refused)", d.TermAckS, d.TermRefused, d.TermStopS, d.KillAckS, d.KillRefused)},
		{"restart_ready_s", r.RestartReadyS, "%.2f", "≤", 2, fmt.Sprintf("new process to a caught-up board (/readyz 200): SIGTERM %.2f, kill -9 %.2f", d.TermReadyS, d.KillReadyS)},
	}
	if d.CrashRounds > 0 {
		rows = append(rows, row{"crash_lost", float64(r.CrashLost), "%.0f", "", 0, fmt.Sprintf("target 0: acknowledged, missing from the log after %d kill -9 rounds under load (%d acknowledged)", d.CrashRounds, d.CrashAcked)},
			row{"crash_duplicated", float64(r.CrashDuplicated), "%.0f", "", 0, fmt.Sprintf("target 0: in the log twice (%d answered non-200, %d resent after a connection error)", d.CrashRefused, d.CrashRetries)})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\ttarget\tmet?\tmeasured")
	for _, x := range rows {
		target, met := "", ""
		if x.cmp != "" {
			target = x.cmp + " " + fmt.Sprint(x.target)
			met = "no"
			if (x.cmp == "≥" && x.value >= x.target) || (x.cmp == "≤" && x.value <= x.target && x.value > 0) {
				met = "yes"
			}
		}
		value := fmt.Sprintf(x.format, x.value)
		if x.value == 0 && !counted[x.metric] {
			value, met = "n/a", ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.metric, value, target, met, x.unit)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nIntake and floor load by %s: intake used server %.2f + load %.2f cores, the floor server %.2f + load %.2f cores.\n",
		d.LoadGen, d.IntakeServerCores, d.IntakeClientCores, d.FloorServerCores, d.FloorClientCores)
	for _, g := range d.Rungs {
		fmt.Fprintf(w, "  %5d connections: intake %6.0f/s on %.2f cores (the board %d events behind, caught up %.1fs later), floor %6.0f/s on %.2f cores\n",
			g.Conns, g.IntakePerS, g.IntakeServerCores, g.BoardLag, g.CatchUpS, g.FloorPerS, g.FloorServerCores)
	}
	fmt.Fprintf(w, "When the intake load ended the board was %d events behind the log, and caught up %.2fs later.\n", d.IntakeBoardLag, d.IntakeCatchUpS)
	if d.FullBurstConns > 0 {
		fmt.Fprintf(w, "On the full board (the history, %d events): intake %.0f/s from %d connections on %.2f cores; caught up %.1fs later; RSS %.0f MiB after (anon %.0f).\n",
			d.Events, d.FullBurstPerS, d.FullBurstConns, d.FullBurstCores, d.FullBurstCatchS, d.FullBurstRSSMB, d.FullBurstAnonMB)
	}
	fmt.Fprintf(w, "%d cores; intake %d ok, %d failed over %.1fs from %d connections; push %d calls, %d pops timed, %d lost, %d deliveries failed; %d sockets dropped.\n",
		d.Cores, d.IntakeOK, d.IntakeFailed, d.IntakeS, d.Conns, d.PushCalls, d.PushSamples, d.PushLost, d.PushFailed, d.SocketsDropped)
	fmt.Fprintf(w, "Load average %.2f at the start; other processes used %.2f cores during intake, %.2f during the floor, %.2f during push (of %d).\n",
		d.LoadAvg, d.IntakeOtherCores, d.FloorOtherCores, d.PushOtherCores, d.Cores)
	if !o.full {
		fmt.Fprintln(w, "Quick sizes: below the targets' conditions (run -full for them).")
	}
}
