package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Intake and the floor climb a ladder of connection counts: -conns, then twice as many
// at each rung, until the floor gains less than floorSaturated over the rung below (or
// at maxRungs). A bare fiber + bbolt handler answers after DB.Batch's commit, which
// waits up to 10 ms for more writes to share it: at 256 connections the floor is bound
// by that wait, not by its CPU (about half a core), and a ratio against it flatters
// whatever is measured. Each side's figure is its best rung, so each is measured where
// it is saturated, under the same loads.
const (
	floorSaturated = 0.05
	maxRungs       = 4
)

// rung is one step of the ladder: both sides under the same connection count.
type rung struct {
	Conns             int     `json:"conns"`
	IntakePerS        float64 `json:"intake_per_s"`
	FloorPerS         float64 `json:"floor_per_s"`
	IntakeServerCores float64 `json:"intake_server_cores"`
	FloorServerCores  float64 `json:"floor_server_cores"`
	BoardLag          int64   `json:"board_lag"`
	CatchUpS          float64 `json:"catch_up_s"`
}

func (b *bench) intake(ctx context.Context) error {
	b.res.Detail.LoadGen = "go (fasthttp)"
	if wrkPath() != "" {
		b.res.Detail.LoadGen = wrkPath()
	}
	var best, bestFloor load
	for i, conns := 0, b.o.conns; i < maxRungs; i, conns = i+1, conns*2 {
		l, lf, err := b.rung(ctx, conns, uint64(i+1))
		if err != nil {
			return err
		}
		d := &b.res.Detail
		if l.perSecond() > best.perSecond() {
			best, d.Conns = l, conns
		}
		gain := lf.perSecond()/bestFloor.perSecond() - 1
		if lf.perSecond() > bestFloor.perSecond() {
			bestFloor, d.FloorConns = lf, conns
		}
		if i > 0 && gain < floorSaturated {
			break
		}
	}
	b.keepIntake(best, bestFloor)
	return nil
}

// rung loads a new intake server and then a new floor with conns connections, with a
// pool of deliveries of its own (seed). Each rung starts afresh: a burst's calls stay
// on the board (its 48 hours of history), and 10 s of one rung's burst fill most of
// the memory budget the next would be measured within (see the README's Benchmark).
func (b *bench) rung(ctx context.Context, conns int, seed uint64) (load, load, error) {
	o := b.o
	n := int(o.duration.Seconds()*40000) + conns // more than the server can take in the time
	o.progress("intake: rendering %d distinct deliveries of every vendor", n)
	pool := renderPool(b.creds.sources, n, seed)
	l, err := b.intakeRung(ctx, conns, pool)
	if err != nil {
		return l, l, err
	}
	lf, err := b.floorRung(ctx, conns, pool)
	if err != nil {
		return l, lf, err
	}
	o.progress("%d connections: intake %.0f/s (server %.2f cores, load %.2f, other processes %.2f), floor %.0f/s (server %.2f cores, load %.2f, other %.2f)",
		conns, l.perSecond(), l.serverCores, l.clientCores, l.otherCores, lf.perSecond(), lf.serverCores, lf.clientCores, lf.otherCores)
	g := &b.res.Detail.Rungs[len(b.res.Detail.Rungs)-1]
	g.FloorPerS, g.FloorServerCores = lf.perSecond(), lf.serverCores
	return l, lf, nil
}

// intakeRung loads a new server with pool from conns connections, then waits for its
// board to catch up.
func (b *bench) intakeRung(ctx context.Context, conns int, pool []hook) (load, error) {
	o := b.o
	s, err := b.server(ctx, fmt.Sprintf("intake-%d", conns))
	if err != nil {
		return load{}, err
	}
	defer b.done(s)
	o.progress("intake: %d connections for %s, load by %s", conns, o.duration, b.res.Detail.LoadGen)
	l, err := b.loadWith(ctx, s, pool, conns)
	if err != nil {
		return l, err
	}
	if l.ok == 0 {
		return l, fmt.Errorf("intake: no delivery accepted (%d failed, last: %s)", l.failed, l.lastErr)
	}
	if l.failed > 0 || l.exhausted {
		o.progress("intake: %d failed (last: %s), pool exhausted: %v", l.failed, l.lastErr, l.exhausted)
	}
	if metrics := b.metrics(s); metrics != "" {
		o.progress("intake: server counted %s", metrics)
	}
	lag, catchUp := b.catchUp(ctx, s, time.Minute)
	o.progress("intake: the board was %d events behind the log when the load ended, and caught up %.2fs later", lag, catchUp.Seconds())
	b.res.Detail.Rungs = append(b.res.Detail.Rungs, rung{Conns: conns, IntakePerS: l.perSecond(),
		IntakeServerCores: l.serverCores, BoardLag: lag, CatchUpS: catchUp.Seconds()})
	return l, nil
}

// floorRung loads a new floor, with a database of its own, the same way.
func (b *bench) floorRung(ctx context.Context, conns int, pool []hook) (load, error) {
	b.o.progress("floor: the same load against a bare fiber + bbolt handler")
	dir := filepath.Join(b.dir, fmt.Sprintf("floor-%d", conns))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return load{}, err
	}
	f, err := startFloor(ctx, dir)
	if err != nil {
		return load{}, err
	}
	defer f.kill()
	lf, err := b.loadWith(ctx, f, pool, conns)
	if err == nil && lf.ok == 0 {
		err = fmt.Errorf("floor: no delivery accepted (%d failed, last: %s)", lf.failed, lf.lastErr)
	}
	return lf, err
}

func (b *bench) loadWith(ctx context.Context, s *server, pool []hook, conns int) (load, error) {
	if wrk := wrkPath(); wrk != "" {
		return driveWrk(ctx, wrk, s, pool, b.o.duration, conns, b.dir)
	}
	return drive(ctx, s, pool, b.o.duration, conns), nil
}

// keepIntake records each side's best rung as the figures.
func (b *bench) keepIntake(l, lf load) {
	r := &b.res
	r.IntakePerS, r.FloorPerS = l.perSecond(), lf.perSecond()
	r.IntakeRatio = r.IntakePerS / r.FloorPerS
	for _, g := range r.Detail.Rungs {
		if g.Conns == r.Detail.Conns {
			r.Detail.IntakeBoardLag, r.Detail.IntakeCatchUpS = g.BoardLag, g.CatchUpS
		}
	}
	r.Detail.IntakeOK, r.Detail.IntakeFailed, r.Detail.IntakeS = l.ok, l.failed, l.elapsed.Seconds()
	r.Detail.IntakeServerCores, r.Detail.IntakeClientCores = l.serverCores, l.clientCores
	r.Detail.FloorServerCores, r.Detail.FloorClientCores = lf.serverCores, lf.clientCores
	r.Detail.IntakeOtherCores, r.Detail.FloorOtherCores = l.otherCores, lf.otherCores
}
