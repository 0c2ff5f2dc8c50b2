package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"ringside/store"
)

// A big center's history: the log holds n events of complete calls spread over the
// 48 hours the board keeps. Measured on it: the database's size per event, the first
// start over the whole log (no snapshot: every event replayed), the server's memory
// once caught up, and two restarts (SIGTERM, then kill -9), each timed from the new
// process's start to its first acknowledged webhook and to a caught-up board.

// historySpan is how far back the history's calls go.
const historySpan = 48 * time.Hour

type historyResult struct {
	events              int
	dbBytes             int64         // the database file after the first start and the archive sweep
	dbInUse             float64       // its pages in use per event (free pages left out)
	firstStart          time.Duration // start to the last logged call on the board
	firstCPU, otherCPU  time.Duration // the server's CPU time over the first start, and other processes'
	first               memUse        // settleWait after the first start's snapshot and archive sweep
	afterPeak           float64       // MiB, the largest VmHWM of the restarted processes
	rssAfter            float64       // MiB, the largest settleWait after a restart
	sigterm, kill       restartResult
	fillTook, firstSnap time.Duration
	burst               fullBurst // intake on the full board, after the restarts
}

// restartResult is one restart: how long the old process took to exit, and from the
// new process's start to its first 200 for a webhook and to a caught-up board.
type restartResult struct {
	stop, ack, ready time.Duration
	refused          int // probe deliveries not answered 200 before the first that was
}

func measureHistory(ctx context.Context, b *bench, n int) (historyResult, error) {
	res := historyResult{events: n}
	data := filepath.Join(b.dir, "history")
	db := filepath.Join(data, "ringside.db")
	first, firstID := markerCall(b.creds.push, fmt.Sprintf("%d.1", time.Now().Unix()))
	b.o.progress("history: logging %d events of complete calls over %s", n, historySpan)
	t := time.Now()
	markerSeq, err := fillEvents(ctx, db, b.creds.sources, n, historySpan, first, b.creds.push)
	if err != nil {
		return res, fmt.Errorf("filling the event log: %w", err)
	}
	res.fillTook = time.Since(t)
	b.o.progress("history: logged in %.0fs; first start, replaying the whole log", res.fillTook.Seconds())
	s, err := newChild(b, "history", data)
	if err != nil {
		return res, err
	}
	defer func() { s.kill() }()
	t, busy, self := time.Now(), machineBusy(), cpuTime(0)
	if err := s.start(); err != nil {
		return res, err
	}
	if err := waitCall(ctx, s, b.creds.apiKey, firstID, 30*time.Minute); err != nil {
		return res, err
	}
	res.firstStart, res.firstCPU = time.Since(t), cpuTime(s.pid)
	res.otherCPU = max(0, machineBusy()-busy-res.firstCPU-(cpuTime(0)-self)) // tick rounding can go below 0
	b.o.progress("history: first start caught up in %.1fs (server CPU %.1fs; other processes %.2f cores)",
		res.firstStart.Seconds(), res.firstCPU.Seconds(), res.otherCPU.Seconds()/res.firstStart.Seconds())
	// A server that has run has a snapshot: wait for the one taken on catching up.
	if err := waitSnapshot(ctx, s, b.creds.apiKey, markerSeq, 15*time.Minute); err != nil {
		return res, err
	}
	res.firstSnap = time.Since(t)
	b.o.progress("history: snapshot stored after %.1fs; waiting for the archive sweep", res.firstSnap.Seconds())
	if err := waitArchived(ctx, s, b.creds.apiKey, 5*time.Minute); err != nil {
		return res, err
	}
	if res.first, err = settledMemory(ctx, s); err != nil {
		return res, err
	}
	b.o.progress("history: RSS %.0f MiB (anon %.0f, file %.0f; peak %.0f)", res.first.rss, res.first.anon, res.first.file, res.first.peak)
	inspect := func() error { // the stopped server's file
		r, err := store.Inspect(db)
		res.dbBytes, res.dbInUse = r.FileBytes, r.InUseBytesPerEvent()
		b.o.progress("history: database %.0f MiB, %d free pages; %.0f bytes an event in pages in use", float64(r.FileBytes)/(1<<20), r.FreePages, res.dbInUse)
		return err
	}
	if res.sigterm, err = b.restart(ctx, s, syscall.SIGTERM, inspect); err != nil {
		return res, err
	}
	m, err := settledMemory(ctx, s)
	if err != nil {
		return res, err
	}
	if res.kill, err = b.restart(ctx, s, syscall.SIGKILL, nil); err != nil {
		return res, err
	}
	m2, err := settledMemory(ctx, s)
	if err != nil {
		return res, err
	}
	res.rssAfter, res.afterPeak = max(m.rss, m2.rss), max(m.peak, m2.peak)
	res.burst, err = b.burstOnFullBoard(ctx, s)
	return res, err
}

// fullBurst is a burst of deliveries on the server holding the history: each intake
// rung starts on an empty server, and a full board's heap is what a burst then has
// to live with (the README's Benchmark, Intake, "A full board").
type fullBurst struct {
	conns       int
	perS, cores float64
	lag         int64
	catchUp     time.Duration
	rss, anon   float64 // MiB, settleWait after the board caught up
}

// burstOnFullBoard loads the history's server as an intake rung does, at four times
// -conns (1,024 in -full), and reads its memory once the board has caught up.
func (b *bench) burstOnFullBoard(ctx context.Context, s *server) (fullBurst, error) {
	r := fullBurst{conns: 4 * b.o.conns}
	pool := renderPool(b.creds.sources, int(b.o.duration.Seconds()*40000)+r.conns, 99)
	b.o.progress("history: a burst on the full board, %d connections for %s", r.conns, b.o.duration)
	l, err := b.loadWith(ctx, s, pool, r.conns)
	if err != nil {
		return r, err
	}
	if l.ok == 0 {
		return r, fmt.Errorf("full board: no delivery accepted (%d failed, last: %s)", l.failed, l.lastErr)
	}
	r.perS, r.cores = l.perSecond(), l.serverCores
	r.lag, r.catchUp = b.catchUp(ctx, s, 5*time.Minute)
	m, err := settledMemory(ctx, s)
	r.rss, r.anon = m.rss, m.anon
	b.o.progress("history: the full board took %.0f/s on %.2f cores (%d failed); its board was %d events behind and caught up %.1fs later; RSS %.0f MiB (anon %.0f)",
		r.perS, r.cores, l.failed, r.lag, r.catchUp.Seconds(), r.rss, r.anon)
	return r, err
}

// settleWait is how long after catching up the server's memory is read: what a
// running server holds, not the moment its replay's garbage is given back.
const settleWait = 5 * time.Second

// settledMemory reads the server's memory settleWait from now.
func settledMemory(ctx context.Context, s *server) (memUse, error) {
	if err := s.pause(ctx, settleWait); err != nil {
		return memUse{}, err
	}
	return memory(s.pid)
}

// restart logs one more call through the server, stops it with sig, runs stopped (if
// any) and starts it again: it times the new process's first acknowledged webhook (a probe delivery sent
// every 5 ms, retried like a vendor that times out in 2 s) and the board showing the
// call logged before the stop with /readyz 200.
func (b *bench) restart(ctx context.Context, s *server, sig syscall.Signal, stopped func() error) (restartResult, error) {
	var r restartResult
	stamp := fmt.Sprintf("%d.%d", time.Now().UnixNano(), sig)
	last, lastID := markerCall(b.creds.push, stamp+".last")
	probe, _ := markerCall(b.creds.push, stamp+".probe")
	hc := &fasthttp.HostClient{Addr: s.addr, MaxConns: 1, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
	defer hc.CloseIdleConnections()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	h := prepare(b.creds.push, last, time.Now())
	if code, err := post(hc, &h, req, resp); err != nil || code != 200 {
		return r, fmt.Errorf("restart: logging the last call: %d %v %s", code, err, resp.Body())
	}
	hc.CloseIdleConnections()
	t := time.Now()
	if sig == syscall.SIGKILL {
		s.kill()
	} else {
		_ = s.cmd.Process.Signal(sig)
		select {
		case <-s.exited:
		case <-time.After(2 * time.Minute):
			return r, fmt.Errorf("restart: no exit within 2 minutes of %s", sig)
		}
	}
	r.stop = time.Since(t)
	b.o.progress("history: stopped by %s in %.2fs, restarting", sig, r.stop.Seconds())
	if stopped != nil {
		if err := stopped(); err != nil {
			return r, err
		}
	}
	t = time.Now()
	if err := s.start(); err != nil {
		return r, err
	}
	ph := prepare(b.creds.push, probe, time.Now())
	for {
		code, err := post(hc, &ph, req, resp)
		if err == nil && code == 200 {
			break
		}
		r.refused++
		if err := s.pause(ctx, 5*time.Millisecond); err != nil {
			return r, err
		}
		if time.Since(t) > 5*time.Minute {
			return r, fmt.Errorf("restart: no webhook acknowledged within 5 minutes (last %d %v)", code, err)
		}
	}
	r.ack = time.Since(t)
	if err := waitCall(ctx, s, b.creds.apiKey, lastID, 5*time.Minute); err != nil {
		return r, err
	}
	for !readyz(ctx, s) {
		if err := s.pause(ctx, 5*time.Millisecond); err != nil {
			return r, err
		}
		if time.Since(t) > 10*time.Minute {
			return r, fmt.Errorf("restart: /readyz not 200 within 10 minutes")
		}
	}
	r.ready = time.Since(t)
	b.o.progress("history: after %s: webhook acknowledged after %.2fs (%d probes refused or unanswered), board caught up after %.2fs",
		sig, r.ack.Seconds(), r.refused, r.ready.Seconds())
	return r, nil
}

// readyz says whether /readyz answers 200.
func readyz(ctx context.Context, s *server) bool {
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/readyz", nil)
	resp, err := quickClient.Do(req)
	if err != nil {
		return false
	}
	drain(resp.Body)
	return resp.StatusCode == 200
}
