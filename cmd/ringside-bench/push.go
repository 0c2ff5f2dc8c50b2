package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"ringside/server/call"
	"ringside/server/sim"
)

// pushResult is the screen-pop latency: from sending a Simotel "NewState Ringing" to
// the frame naming the call's caller arriving on the rung agent's socket.
type pushResult struct {
	p50, p99       time.Duration
	ackP50, ackP99 time.Duration // the ringing delivery's own 2xx (durable write): the rest of a pop is board and push
	samples, lost  int
	calls          int
	scheduled      int // deliveries, over the sending time: the rate achieved
	sent, failed   int64
	lastErr        string
	elapsed        time.Duration
	// cores used while sending by the server, this process and the machine's other processes
	serverCores, clientCores, otherCores float64
}

// ringStory is one queue call at an agent's extension: IncomingCall, NewState Ringing,
// then answered (InUse, Idle) or not (Idle), and the Cdr and CdrQueue records, as
// Simotel sends them. caller is unique, so the pop card can be told apart.
func ringStory(src sim.Source, a agentLogin, n int, start time.Time, r *rand.Rand) sim.Story {
	ring := time.Duration(300+r.IntN(700)) * time.Millisecond
	st := sim.Story{Kind: sim.Missed, Source: src.Name, ID: fmt.Sprintf("%d.%d", start.Unix(), 1000000+n), Start: start,
		Caller: fmt.Sprintf("0935%07d", n%10000000), DID: "02191305588", Queue: "900", RecordLag: 200 * time.Millisecond}
	agent := sim.Agent{Ext: a.ext, Name: "Agent " + a.ext}
	if r.IntN(5) == 0 {
		st.Chain = []sim.Attempt{{Agent: agent, End: ring, Outcome: call.OutcomeNoAnswer}}
		st.End = ring + 500*time.Millisecond
		return st
	}
	st.Kind, st.Agent, st.Answered, st.Answer = sim.QueueAnswered, agent, true, ring
	st.Chain = []sim.Attempt{{Agent: agent, End: ring, Outcome: call.OutcomeAnswer}}
	st.End = ring + time.Duration(500+r.IntN(1000))*time.Millisecond
	return st
}

var ringingState = []byte(`"state":"Ringing"`)

// measurePush sends ringing calls at random agents for o.pushFor at o.rate deliveries
// a second, each call's deliveries in order at their times, and collects the pops.
// Each run (0, 1, ...) has its own calls and callers.
func measurePush(ctx context.Context, o *options, c *creds, s *server, p *pops, run int) (pushResult, error) {
	hc := newHookClient(s.addr, 64)
	defer hc.CloseIdleConnections()
	p.reset()
	r := rand.New(rand.NewPCG(7, 11+uint64(run)))
	var res pushResult
	var sent, failed atomic.Int64
	var mu sync.Mutex
	var acks []time.Duration // of ringing deliveries, under mu
	var wg sync.WaitGroup
	cpuS, cpuC, cpuM := cpuTime(s.pid), cpuTime(0), machineBusy()
	begin := time.Now()
	next := begin
	for n := run * 1000000; time.Since(begin) < o.pushFor && ctx.Err() == nil; n++ {
		sleepUntil(ctx, next)
		ai := r.IntN(len(c.agents))
		start := time.Now()
		st := ringStory(c.push, c.agents[ai], n, start, r)
		ds := sim.Render(c.push, st)
		hooks := make([]hook, len(ds))
		for i, d := range ds {
			hooks[i] = prepare(c.push, d, start)
		}
		res.calls++
		res.scheduled += len(ds)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for i, d := range ds {
				sleepUntil(ctx, start.Add(d.At))
				ringing := bytes.Contains(d.Body, ringingState)
				t := time.Now()
				if ringing {
					p.expect(ai, st.Caller, t)
				}
				code, err := post(hc, &hooks[i], req, resp)
				sent.Add(1)
				if err == nil && code/100 == 2 {
					if ringing {
						mu.Lock()
						acks = append(acks, time.Since(t))
						mu.Unlock()
					}
					continue
				}
				failed.Add(1)
				mu.Lock()
				res.lastErr = fmt.Sprint(code, " ", err, " ", string(resp.Body()))
				mu.Unlock()
			}
		}()
		next = next.Add(time.Duration(float64(len(ds)) / o.rate * float64(time.Second)))
		if lag := time.Since(next); lag > time.Second {
			next = time.Now() // the server fell behind: do not burst to catch up
		}
	}
	res.elapsed = time.Since(begin) // sending time: the rate achieved
	wg.Wait()
	secs := time.Since(begin).Seconds() // every delivery answered
	res.clientCores = (cpuTime(0) - cpuC).Seconds() / secs
	if s.pid > 0 {
		res.serverCores = (cpuTime(s.pid) - cpuS).Seconds() / secs
		if cpuM > 0 {
			res.otherCores = max(0, (machineBusy()-cpuM).Seconds()/secs-res.serverCores-res.clientCores)
		}
	}
	// Pops still in flight get a grace period; what never comes is lost.
	for t := time.Now(); p.outstanding() > 0 && time.Since(t) < 3*time.Second; {
		time.Sleep(20 * time.Millisecond)
	}
	res.sent, res.failed = sent.Load(), failed.Load()
	p.mu.Lock()
	lat := slices.Clone(p.lat)
	p.mu.Unlock()
	res.lost = p.outstanding()
	res.samples = len(lat)
	if len(lat) == 0 {
		return res, fmt.Errorf("no screen-pop arrived (%d calls, %d deliveries, %d failed: %s)", res.calls, res.sent, res.failed, res.lastErr)
	}
	slices.Sort(lat)
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(acks) > 0 {
		slices.Sort(acks)
		res.ackP50, res.ackP99 = percentile(acks, 0.50), percentile(acks, 0.99)
	}
	return res, nil
}

// percentile of sorted values (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}
