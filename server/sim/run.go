package sim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Stats counts what a run sent and how the server answered.
type Stats struct {
	Stories    int          // stories started
	Kinds      map[Kind]int // of which of each kind
	Sent       int          // deliveries answered by the server
	OK         int          // of which 2xx
	Status     map[int]int  // the other answers, by status code
	Errors     int          // deliveries that got no answer (connection refused, timeout)
	LastError  string       // the last of those errors
	LastReject string       // the last non-2xx answer: status, target and body
	Elapsed    time.Duration
}

func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d stories, %d deliveries answered in %s: %d 2xx", s.Stories, s.Sent, s.Elapsed.Round(time.Millisecond), s.OK)
	for _, code := range slices.Sorted(maps.Keys(s.Status)) {
		fmt.Fprintf(&b, ", %d × %d", s.Status[code], code)
	}
	if s.Errors > 0 {
		fmt.Fprintf(&b, ", %d without answer (last: %s)", s.Errors, s.LastError)
	}
	if s.Elapsed > 0 {
		fmt.Fprintf(&b, " (%.1f/s)", float64(s.Sent)/s.Elapsed.Seconds())
	}
	if len(s.Kinds) > 0 {
		b.WriteString("; stories:")
		for _, k := range Kinds {
			if s.Kinds[k] > 0 {
				fmt.Fprintf(&b, " %d %s", s.Kinds[k], k)
			}
		}
	}
	if s.LastReject != "" {
		fmt.Fprintf(&b, "; last refused: %s", s.LastReject)
	}
	return b.String()
}

type stats struct {
	mu sync.Mutex
	s  Stats
}

func (st *stats) add(code int, msg string, d Delivery, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case err != nil:
		st.s.Errors++
		st.s.LastError = err.Error()
	case code >= 200 && code < 300:
		st.s.Sent++
		st.s.OK++
	default:
		st.s.Sent++
		st.s.Status[code]++
		st.s.LastReject = fmt.Sprintf("%d %s %s: %s", code, d.Method, d.Target, msg)
	}
}

// Run plays n stories of g through p (n = 0: until ctx is done) and returns what
// happened. With p.Rate set, stories start so that the server sees about Rate
// deliveries a second; with Rate 0 they arrive as calls do at a call center whose agents
// are reasonably busy (an exponential gap of mean g.Interval()). Either way many calls
// are in flight, interleaved as from a real PBX, and each story's deliveries go in
// order at their times (Options.Speed compresses those). Run returns when every
// started story has been played, or ctx is done.
func Run(ctx context.Context, p *Poster, g *Generator, n int) (Stats, error) {
	srcs := map[string]Source{}
	for _, s := range g.Sources() {
		srcs[s.Name] = s
	}
	if len(srcs) == 0 {
		return Stats{}, errors.New("sim: no sources to play")
	}
	p.init()
	calls := p.MaxCalls
	if calls <= 0 {
		calls = 1000
	}
	slots := make(chan struct{}, calls)
	acc := &stats{s: Stats{Status: map[int]int{}, Kinds: map[Kind]int{}}}
	began := time.Now()
	var wg sync.WaitGroup
	next := began
	for i := 0; n == 0 || i < n; i++ {
		if sleepUntil(ctx, next) != nil {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		st := g.Next(start)
		src := srcs[st.Source]
		ds := Render(src, st)
		acc.mu.Lock()
		acc.s.Stories++
		acc.s.Kinds[st.Kind]++
		acc.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			for _, d := range ds {
				if sleepUntil(ctx, start.Add(d.At)) != nil {
					return
				}
				code, msg, err := p.post(ctx, src, d)
				if err != nil && ctx.Err() != nil {
					return // stopped, not failed
				}
				acc.add(code, msg, d, err)
			}
		}()
		switch {
		case p.Rate == 0:
			next = next.Add(time.Duration(rand.ExpFloat64() * float64(g.Interval())))
		case p.Rate > 0:
			next = next.Add(time.Duration(float64(len(ds)) / p.Rate * float64(time.Second)))
		}
		if lag := time.Since(next); lag > time.Second {
			next = time.Now() // do not burst to catch up after a stall
		}
	}
	wg.Wait()
	acc.mu.Lock()
	defer acc.mu.Unlock()
	acc.s.Elapsed = time.Since(began)
	if n > 0 && ctx.Err() != nil {
		return acc.s, ctx.Err()
	}
	return acc.s, nil
}
