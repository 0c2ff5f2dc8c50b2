package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"ringside/server/sim"
)

// The crash loop: a stream of distinct webhooks from several vendor-like clients (each
// retries a delivery only on a connection error, as a PBX does, and never after an
// answer) while the server is killed with SIGKILL and started again, round after round.
// Afterwards the log must hold every acknowledged delivery exactly once.

type crashResult struct {
	rounds, acked, refused, lost, duplicated int
	retries                                  int64
}

func (b *bench) crashloop(ctx context.Context) error {
	if b.remote != nil {
		b.o.progress("crash loop: not run with -url (it kills the server)")
		return nil
	}
	cr, err := measureCrashLoop(ctx, b, b.o.crashRounds)
	if err != nil {
		return err
	}
	d := &b.res.Detail
	d.CrashRounds, d.CrashAcked, d.CrashRefused, d.CrashRetries = cr.rounds, cr.acked, cr.refused, cr.retries
	b.res.CrashLost, b.res.CrashDuplicated = cr.lost, cr.duplicated
	b.o.progress("crash loop: %d kill -9 rounds, %d deliveries acknowledged (%d answered non-200, %d resent after connection errors): lost %d, duplicated %d",
		cr.rounds, cr.acked, cr.refused, cr.retries, cr.lost, cr.duplicated)
	return nil
}

func measureCrashLoop(ctx context.Context, b *bench, rounds int) (crashResult, error) {
	res := crashResult{rounds: rounds}
	s, err := startChild(ctx, b, "crash", filepath.Join(b.dir, "crash"))
	if err != nil {
		return res, err
	}
	defer func() { s.kill() }()
	var acked sync.Map // call id → true
	var refused atomic.Int64
	var retries atomic.Int64
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stamp := time.Now().UnixNano()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &fasthttp.HostClient{Addr: s.addr, MaxConns: 1, ReadTimeout: 10 * time.Second, WriteTimeout: 2 * time.Second}
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for n := 0; lctx.Err() == nil; n++ {
				d, id := keyedDelivery(b.creds.push, fmt.Sprintf("%d.crash.%d.%d", stamp, w, n))
				h := prepare(b.creds.push, d, time.Now())
				for lctx.Err() == nil {
					code, err := post(hc, &h, req, resp)
					if err != nil { // no answer: the vendor sends it again
						retries.Add(1)
						time.Sleep(20 * time.Millisecond)
						continue
					}
					if code == 200 {
						acked.Store(id, true)
					} else {
						refused.Add(1)
					}
					break
				}
			}
		}()
	}
	for r := 0; r < rounds; r++ {
		if err := s.pause(ctx, time.Duration(300+rand.IntN(500))*time.Millisecond); err != nil {
			stop()
			wg.Wait()
			return res, err
		}
		s.kill()
		if err := s.start(); err != nil {
			stop()
			wg.Wait()
			return res, err
		}
		b.o.progress("crash loop: round %d of %d", r+1, rounds)
	}
	time.Sleep(time.Second) // the last round takes load too
	stop()
	wg.Wait()
	if err := s.waitHealthy(ctx, 5*time.Minute); err != nil {
		return res, err
	}
	counts, err := logCounts(ctx, s, b.creds.apiKey, fmt.Sprintf("%d.crash.", stamp))
	if err != nil {
		return res, err
	}
	acked.Range(func(k, _ any) bool {
		res.acked++
		switch n := counts[k.(string)]; {
		case n == 0:
			res.lost++
		case n > 1:
			res.duplicated++
		}
		return true
	})
	res.refused, res.retries = int(refused.Load()), retries.Load()
	return res, nil
}

// logCounts pages through GET /api/v1/events and counts the keyed record events of
// each call whose id contains marker.
func logCounts(ctx context.Context, s *server, key, marker string) (map[string]int, error) {
	out := map[string]int{}
	var after uint64
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/events?after=%d&limit=1000", s.base, after), nil)
		req.Header.Set("X-APIKEY", key)
		resp, err := quickClient.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Data []struct {
				Seq  uint64 `json:"seq"`
				Name string `json:"name"`
				Call string `json:"call"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		drain(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			return nil, fmt.Errorf("reading the log after %d: %d %v", after, resp.StatusCode, err)
		}
		if len(page.Data) == 0 {
			return out, nil
		}
		for _, e := range page.Data {
			if strings.Contains(e.Call, marker) && e.Name == keyedName {
				out[e.Call]++
			}
			after = e.Seq
		}
	}
}

// keyedName is the Simotel event whose delivery carries the vendor's own id (a Cdr,
// "cdr:<unique_id>"): a resent one is a retry the server must log once. (A delivery
// without an id, like IncomingCall, cannot be told from a second one.)
const keyedName = "Cdr"

// keyedDelivery is the Cdr of a missed call with id, and the call's id on the board.
func keyedDelivery(src sim.Source, id string) (sim.Delivery, string) {
	st := sim.Story{Kind: sim.Missed, Source: src.Name, ID: id, Start: time.Now(), Caller: "09990000000", DID: "02191305588",
		Queue: "900", End: time.Second}
	for _, d := range sim.Render(src, st) {
		if sd, evs, err := decode(src, d, time.Now()); err == nil && sd.Key != "" && len(evs) == 1 && evs[0].Name == keyedName {
			return d, evs[0].Call
		}
	}
	panic("simotel story without a Cdr")
}
