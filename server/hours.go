package server

import (
	"sync"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
	"ringside/views"
)

// hourCache holds today's calls-per-hour chart, recomputed from the CDR store at most
// every ttl: the chart changes slowly and must not cost a scan per board change.
type hourCache struct {
	st    *store.Store
	ttl   time.Duration
	rules live.Rules // the queues' thresholds: the chart counts as the tiles do

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

// compute buckets today's ended queue calls by the local hour they started, counted by
// the same definitions as the queue tiles (live.Rules.Tally).
func (h *hourCache) compute(now time.Time) []views.HourPoint {
	from := midnight(now)
	tallies := make([]live.Tally, now.Hour()+1)
	h.st.EachCDR(store.Query{From: from, Asc: true}, func(c call.Call) error {
		if c.Queue == "" || c.StartedAt == nil || c.StartedAt.Before(from) {
			return nil
		}
		if i := c.StartedAt.In(now.Location()).Hour(); i < len(tallies) {
			tallies[i].Add(h.rules.Tally(c), 1)
		}
		return nil
	})
	out := make([]views.HourPoint, len(tallies))
	for i, t := range tallies {
		c := t.Counters()
		out[i] = views.HourPoint{Hour: i, Offered: c.Offered, Answered: c.Answered, Abandoned: c.Abandoned, SLPct: c.ServiceLevelPct}
	}
	return out
}
