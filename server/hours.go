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
// every ttl: the chart changes slowly and must not cost a scan per board change. Each
// person reads "today" and its hours in their own zone, so it keeps one chart per zone
// in use (now's location).
type hourCache struct {
	st    *store.Store
	ttl   time.Duration
	rules live.Rules // the queues' thresholds: the chart counts as the tiles do

	mu    sync.Mutex
	zones map[string]hourChart // zone name → its chart
}

// hourChart is one zone's chart and when it was computed.
type hourChart struct {
	at    time.Time
	hours []views.HourPoint
}

// get is today's chart in now's zone: hours from its midnight, calls by the hour they
// started there.
func (h *hourCache) get(now time.Time) []views.HourPoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	zone := now.Location().String()
	if c, ok := h.zones[zone]; ok && now.Sub(c.at) < h.ttl && now.Day() == c.at.Day() {
		return c.hours
	}
	if h.zones == nil {
		h.zones = map[string]hourChart{}
	}
	c := hourChart{at: now, hours: h.compute(now)}
	h.zones[zone] = c
	return c.hours
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
