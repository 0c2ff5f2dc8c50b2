package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"ringside/server/call"
	"ringside/server/ingest"
	"ringside/server/live"
	"ringside/server/sim"
	"ringside/store"
)

// decode turns a simulator delivery into what the server's intake would store: the
// events of the real decoder and the delivery record, received at at.
func decode(src sim.Source, d sim.Delivery, at time.Time) (store.Delivery, []call.Event, error) {
	u, err := url.Parse(d.Target)
	if err != nil {
		return store.Delivery{}, nil, err
	}
	_, event, _ := strings.Cut(strings.TrimPrefix(u.Path, "/hooks/"+src.Name), "/")
	typ := d.Header.Get("Content-Type")
	res, err := ingest.Decode(ingest.Source{Name: src.Name, Vendor: src.Vendor, Location: src.Location, KeyMap: src.KeyMap},
		ingest.Request{Method: d.Method, Event: event, Query: u.Query(), ContentType: typ, Body: d.Body, ReceivedAt: at})
	if err != nil {
		return store.Delivery{}, nil, fmt.Errorf("%s %s: %w", d.Method, d.Target, err)
	}
	sd := store.Delivery{Source: src.Name, Method: d.Method, Path: u.Path, Query: u.RawQuery, ContentType: typ,
		Header: map[string]string{"User-Agent": d.Header.Get("User-Agent"), "Remote-Addr": "127.0.0.1"},
		Body:   d.Body, ReceivedAt: at, Key: res.Key, Stream: res.Stream}
	return sd, res.Events, nil
}

// fillEvents appends the generator's mixed traffic to the log at path, decoded as the
// server would, until it holds at least n events, its calls spread evenly over the span
// before now; then marker (of source msrc). Deliveries are logged in the order they
// are received, stories interleaved as on a real line (a story's later deliveries
// wait until their time comes), by many goroutines so group commits are big; without
// fsync (a prefill, closed cleanly). It returns the marker's seq.
func fillEvents(ctx context.Context, path string, srcs []sim.Source, n int, span time.Duration, marker sim.Delivery, msrc sim.Source) (uint64, error) {
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		return 0, err
	}
	bySrc := map[string]sim.Source{}
	for _, s := range srcs {
		bySrc[s.Name] = s
	}
	due := make(chan timedDelivery, 1024)
	errc := make(chan error, 1)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range due {
				sd, evs, err := decode(bySrc[d.src], d.d, d.at)
				if err == nil {
					_, err = st.Append(wctx, sd, evs)
				}
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					stop()
					return
				}
			}
		}()
	}
	releaseInOrder(wctx, st, srcs, n, span, due)
	close(due)
	wg.Wait()
	if err == nil && len(errc) > 0 {
		err = <-errc
	}
	if err == nil {
		var sd store.Delivery
		var evs []call.Event
		if sd, evs, err = decode(msrc, marker, time.Now()); err == nil {
			_, err = st.Append(ctx, sd, evs)
		}
	}
	last := st.LastSeq()
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	return last, err
}

// timedDelivery is a rendered delivery of source src, received at at.
type timedDelivery struct {
	src string
	d   sim.Delivery
	at  time.Time
}

// releaseInOrder renders the generator's stories, a story every span/(n/7) from
// span ago, and sends their deliveries to due in receive order: those received before
// the next story starts are due. It stops when the log holds n events.
func releaseInOrder(ctx context.Context, st *store.Store, srcs []sim.Source, n int, span time.Duration, due chan<- timedDelivery) {
	g := sim.NewGenerator(5, srcs, sim.Options{AgentsPerSource: 12, Speed: 600})
	bySrc := map[string]sim.Source{}
	for _, s := range g.Sources() {
		bySrc[s.Name] = s
	}
	step := span / time.Duration(n/eventsPerStory+1)
	var pending []timedDelivery
	for t := time.Now().Add(-span); int(st.LastSeq()) < n; t = t.Add(step) {
		s := g.Next(t)
		for _, d := range sim.Render(bySrc[s.Source], s) {
			pending = append(pending, timedDelivery{s.Source, d, s.Start.Add(d.At)})
		}
		slices.SortStableFunc(pending, func(a, b timedDelivery) int { return a.at.Compare(b.at) })
		i := 0
		for ; i < len(pending) && pending[i].at.Before(s.Start); i++ {
			select {
			case due <- pending[i]:
			case <-ctx.Done():
				return
			}
		}
		pending = slices.Delete(pending, 0, i)
	}
}

// eventsPerStory is about how many events a story of the generator's mixed traffic
// logs (measured: 7.3), for spreading n events over a span.
const eventsPerStory = 7

// markerCall is a Simotel IncomingCall for a call nobody else makes, and the call's
// id: once it shows on the board, everything logged before it has been applied (the
// board applies the log in order).
func markerCall(src sim.Source, id string) (sim.Delivery, string) {
	st := sim.Story{Kind: sim.Missed, Source: src.Name, ID: id, Start: time.Now(), Caller: "09990000000", DID: "02191305588",
		Queue: "900", End: time.Hour}
	for _, d := range sim.Render(src, st) {
		if strings.Contains(string(d.Body), `"IncomingCall"`) {
			return d, src.Name + ":" + id
		}
	}
	panic("simotel story without IncomingCall")
}

// cdrTemplates are n ended calls as the server stores them: the generator's mixed
// traffic decoded and folded by the live board (the server's own pipeline), so the
// benchmark's CDRs have real shapes (legs, transfers, contacts, recordings, tags).
func cdrTemplates(srcs []sim.Source, n int) ([]call.Call, error) {
	g := sim.NewGenerator(3, srcs, sim.Options{AgentsPerSource: 12, Speed: 600})
	lc := live.Config{Locations: map[string]*time.Location{}}
	bySrc := map[string]sim.Source{}
	for _, s := range g.Sources() {
		bySrc[s.Name] = s
		lc.Locations[s.Name] = s.Location
	}
	b := live.New(lc)
	ended := map[string]bool{}
	var order []string
	t, step := time.Now().Add(-time.Hour), g.Interval()
	var seq uint64
	for i := 0; len(order) < n && i < 100*n; i++ {
		st := g.Next(t)
		t = t.Add(step)
		src := bySrc[st.Source]
		for _, d := range sim.Render(src, st) {
			_, evs, err := decode(src, d, st.Start.Add(d.At))
			if err != nil {
				return nil, err
			}
			for _, e := range evs {
				seq++
				e.Seq = seq
				for _, ch := range b.Apply(e) {
					if ch.Kind == live.KindCall && ch.Ended && !ended[ch.ID] {
						ended[ch.ID] = true
						order = append(order, ch.ID)
					}
				}
			}
		}
	}
	out := make([]call.Call, 0, len(order))
	for _, id := range order {
		if c, ok := b.Call(id); ok {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the simulator's calls never ended")
	}
	return out, nil
}
