package report

import (
	"maps"
	"slices"
	"strings"
	"time"

	"ringside/server/call"
	"ringside/store"
)

// Params select a report: the period [From, To), the grouping, the zone whose hours
// and days group it, and filters (empty: everything). Sources keeps queues of those
// sources, and agents whose identity names one (directory people span sources and
// stay). Now ends the still-open presence intervals.
type Params struct {
	From, To               time.Time
	GroupBy                string
	Zone                   *time.Location
	Now                    time.Time
	Queues, Agents, Source []string
	Pool                   bool // queues: one row per period for all selected queues together (Queue "")
}

// Reader reads reports from the buckets.
type Reader struct {
	Store *store.Store
	Rules Rules
	// Name is the display name of a queue (KindQueue) or agent (KindAgent).
	Name func(kind byte, id string) string
	// Active is the calls not ended yet (the live board's), counted as the wallboard
	// counts them so that today's report and the wallboard agree while calls are on.
	Active func() []call.Call
	// Known lists ids to show even without figures (configured queues, the directory).
	Known func(kind byte) []string
}

// group is what a report sums: counts by id and period start.
type group struct {
	p    Params
	sums map[string]map[time.Time]*store.Counts
	// the period the last bucket fell in: buckets come in time order, so most of them
	// fall in the same one as the one before
	lastID           string
	lastFrom, lastTo time.Time
	lastSum          *store.Counts
}

func newGroup(p Params) *group {
	if p.Zone == nil {
		p.Zone = time.UTC
	}
	return &group{p: p, sums: map[string]map[time.Time]*store.Counts{}}
}

// period is the period holding t: its start (zero for the total) and its end.
func (g *group) period(t time.Time) (from, to time.Time) {
	l := t.In(g.p.Zone)
	switch g.p.GroupBy {
	case call.GroupHour:
		from = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, g.p.Zone)
		return from, from.Add(time.Hour)
	case call.GroupDay:
		from = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, g.p.Zone)
		return from, from.AddDate(0, 0, 1)
	}
	return time.Time{}, time.Unix(1<<62, 0)
}

func (g *group) add(id string, t time.Time, c store.Counts) {
	if g.p.Pool {
		id = ""
	}
	if g.lastSum != nil && id == g.lastID && !t.Before(g.lastFrom) && t.Before(g.lastTo) {
		g.lastSum.Add(c)
		return
	}
	if g.sums[id] == nil {
		g.sums[id] = map[time.Time]*store.Counts{}
	}
	from, to := g.period(t)
	sum := g.sums[id][from]
	if sum == nil {
		sum = &store.Counts{}
		g.sums[id][from] = sum
	}
	sum.Add(c)
	if !from.IsZero() || g.p.GroupBy == call.GroupTotal {
		g.lastID, g.lastFrom, g.lastTo, g.lastSum = id, from, to, sum
	}
}

func (g *group) read(st *store.Store, kind byte, id string) error {
	return st.EachBucket(kind, id, g.p.From, g.p.To, func(start time.Time, c store.Counts) { g.add(id, start, c) })
}

// each calls fn per id and period in order; with call.GroupTotal, ids without figures
// (known ones) get an empty row.
func (g *group) each(ids []string, fn func(id, period string, s store.Counts)) {
	for _, id := range ids {
		byPeriod := g.sums[id]
		if len(byPeriod) == 0 && g.p.GroupBy == call.GroupTotal {
			fn(id, "", store.Counts{})
			continue
		}
		for _, t := range slices.SortedFunc(maps.Keys(byPeriod), func(a, b time.Time) int { return a.Compare(b) }) {
			period := ""
			if !t.IsZero() {
				period = t.Format(time.RFC3339)
			}
			fn(id, period, *byPeriod[t])
		}
	}
}

// ids lists the ids of kind a report covers, filtered.
func (r *Reader) ids(kind byte, p Params) ([]string, error) {
	all, err := r.Store.BucketIDs(kind)
	if err != nil {
		return nil, err
	}
	if r.Known != nil {
		all = append(all, r.Known(kind)...)
	}
	want := p.Queues
	if kind == KindAgent {
		want = p.Agents
	}
	slices.Sort(all)
	out := slices.Compact(all)
	return slices.DeleteFunc(out, func(id string) bool {
		if len(want) > 0 && !slices.Contains(want, id) {
			return true
		}
		src, _, named := strings.Cut(id, ":")
		return len(p.Source) > 0 && (named || kind == KindQueue) && !slices.Contains(p.Source, src)
	}), nil
}

// Queues is the queues report.
func (r *Reader) Queues(p Params) ([]call.QueueRow, error) {
	ids, err := r.ids(KindQueue, p)
	if err != nil {
		return nil, err
	}
	g := newGroup(p)
	for _, id := range ids {
		if err := g.read(r.Store, KindQueue, id); err != nil {
			return nil, err
		}
	}
	r.addActive(g, ids)
	out := []call.QueueRow{}
	if p.Pool {
		ids = []string{""}
	}
	g.each(ids, func(id, period string, s store.Counts) {
		name := ""
		if id != "" {
			name = r.name(KindQueue, id)
		}
		out = append(out, queueRow(id, name, period, s))
	})
	return out, nil
}

// addActive counts the calls still on, by their start, as the wallboard does.
func (r *Reader) addActive(g *group, ids []string) {
	if r.Active == nil {
		return
	}
	for _, c := range r.Active() {
		start := callStart(&c)
		if c.Queue == "" || start.IsZero() || start.Before(g.p.From) || !start.Before(g.p.To) || !slices.Contains(ids, c.Queue) {
			continue
		}
		g.add(c.Queue, start, queueCounts(&c, r.Rules.Rules, g.p.Now))
	}
}

func queueRow(id, name, period string, s store.Counts) call.QueueRow {
	s.Sum = append(s.Sum, make([]int64, max(0, qSlots-len(s.Sum)))...)
	s.Max = append(s.Max, make([]int64, max(0, qMaxSlots-len(s.Max)))...)
	f := tallyOf(s.Sum).Counters()
	return call.QueueRow{Queue: id, Name: name, Period: period, Offered: int64(f.Offered), Answered: int64(f.Answered),
		Abandoned: int64(f.Abandoned), ShortAbandoned: int64(f.ShortAbandoned), ServiceLevelPct: f.ServiceLevelPct,
		ASAS: f.ASAS, AHTS: f.AHTS, LongestWaitS: round1(float64(s.Max[qLongestWaitMs]) / 1000), Callbacks: s.Sum[qCallbacks]}
}

// Agents is the agents report.
func (r *Reader) Agents(p Params) ([]call.AgentRow, error) {
	ids, err := r.ids(KindAgent, p)
	if err != nil {
		return nil, err
	}
	g := newGroup(p)
	for _, id := range ids {
		if err := g.read(r.Store, KindAgent, id); err != nil {
			return nil, err
		}
		if err := r.addOpenPresence(g, id); err != nil {
			return nil, err
		}
	}
	out := []call.AgentRow{}
	g.each(ids, func(id, period string, s store.Counts) {
		out = append(out, agentRow(id, r.name(KindAgent, id), period, s))
	})
	return out, nil
}

// addOpenPresence counts the agent's time since their latest presence fact (not in
// any bucket yet: nothing has ended it) up to the end of the period or now.
func (r *Reader) addOpenPresence(g *group, id string) error {
	last, ok, err := r.Store.LastPresence(id)
	if err != nil || !ok {
		return err
	}
	end := g.p.To
	if !g.p.Now.IsZero() && g.p.Now.Before(end) {
		end = g.p.Now
	}
	if last.At.Before(g.p.From) {
		last.At = g.p.From
	}
	for _, f := range intervalFacts(last, end) {
		g.add(id, f.At, f.C)
	}
	return nil
}

func agentRow(id, name, period string, s store.Counts) call.AgentRow {
	s.Sum = append(s.Sum, make([]int64, max(0, aSlots-len(s.Sum)))...)
	row := call.AgentRow{Agent: id, Name: name, Period: period, Offered: s.Sum[aOffered], Answered: s.Sum[aAnswered],
		NotAnswered: s.Sum[aNotAnswered], Outbound: s.Sum[aOutbound], TalkS: secs(s.Sum[aTalkMs]),
		LoggedInS: secs(s.Sum[aLoggedMs]), PausedS: map[string]float64{}}
	if s.Sum[aTalkN] > 0 {
		row.AHTS = round1(float64(s.Sum[aAnsTalkMs]) / 1000 / float64(s.Sum[aTalkN]))
	}
	for k, v := range s.Named {
		row.PausedS[k] = secs(v)
	}
	ready := s.Sum[aLoggedMs] - s.Sum[aPausedMs]
	row.AvailableS = secs(max(0, ready-s.Sum[aTalkMs]))
	if ready > 0 {
		row.OccupancyPct = round1(100 * float64(s.Sum[aTalkMs]) / float64(ready))
	}
	return row
}

func secs(ms int64) float64 { return round1(float64(ms) / 1000) }

func (r *Reader) name(kind byte, id string) string {
	if r.Name != nil {
		if n := r.Name(kind, id); n != "" {
			return n
		}
	}
	return id[strings.IndexByte(id, ':')+1:]
}

// call.Distribution reads the distribution of the selected queues' calls.
func (r *Reader) Distribution(p Params) (call.Distribution, error) {
	var d call.Distribution
	ids, err := r.ids(KindQueue, p)
	if err != nil {
		return d, err
	}
	zone := p.Zone
	if zone == nil {
		zone = time.UTC
	}
	for _, id := range ids {
		err := r.Store.EachBucket(KindQueue, id, p.From, p.To, func(start time.Time, c store.Counts) {
			c.Sum = append(c.Sum, make([]int64, max(0, qSlots-len(c.Sum)))...)
			l := start.In(zone)
			d.Heat[l.Weekday()][l.Hour()] += c.Sum[qOffered]
			d.MaxHeat = max(d.MaxHeat, d.Heat[l.Weekday()][l.Hour()])
			d.CallCount += c.Sum[qOffered]
			for i := range call.DistBins {
				d.Wait[i] += c.Sum[qWaitBins+i]
				d.Talk[i] += c.Sum[qTalkBins+i]
			}
		})
		if err != nil {
			return d, err
		}
	}
	return d, nil
}
