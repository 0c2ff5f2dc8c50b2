package server

import (
	"sync"
	"time"

	"ringside/server/call"
	"ringside/store"
	"ringside/views"
)

// hourCache holds today's calls-per-hour chart, recomputed from the CDR store at most
// every ttl: the chart changes slowly and must not cost a scan per board change.
type hourCache struct {
	st  *store.Store
	ttl time.Duration
	sl  float64 // service level threshold, seconds

	mu    sync.Mutex
	at    time.Time
	hours []views.HourPoint
}

func (h *hourCache) get(now time.Time) []views.HourPoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hours != nil && now.Sub(h.at) < h.ttl && now.Day() == h.at.Day() {
		return h.hours
	}
	h.hours, h.at = h.compute(now), now
	return h.hours
}

// compute buckets today's ended inbound queue calls by the local hour they started.
func (h *hourCache) compute(now time.Time) []views.HourPoint {
	from := midnight(now)
	out := make([]views.HourPoint, now.Hour()+1)
	within := make([]int, len(out))
	counted := make([]int, len(out))
	for i := range out {
		out[i].Hour = i
	}
	h.st.EachCDR(store.Query{From: from, Direction: call.Inbound, Asc: true}, func(c call.Call) error {
		if c.Queue == "" || c.StartedAt == nil {
			return nil
		}
		i := c.StartedAt.In(now.Location()).Hour()
		if c.StartedAt.Before(from) || i >= len(out) {
			return nil
		}
		p := &out[i]
		p.Offered++
		wait := 0.0
		if c.WaitS != nil {
			wait = *c.WaitS
		}
		switch {
		case c.Disposition == call.Answered:
			p.Answered++
			counted[i]++
			if wait <= h.sl {
				within[i]++
			}
		default:
			p.Abandoned++
			if wait > 5 {
				counted[i]++
			}
		}
		return nil
	})
	for i := range out {
		if counted[i] > 0 {
			out[i].SLPct = float64(within[i]) * 100 / float64(counted[i])
		}
	}
	return out
}
