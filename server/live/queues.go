package live

import (
	"math"
	"strings"
	"time"

	"ringside/server/call"
)

// totals are one queue's counters for one local day. Times are integer milliseconds so
// adding and removing calls in any order gives exactly the same sums.
type totals struct {
	Offered, Answered, Abandoned int
	SLMet, SLBase                int // service level numerator and denominator
	TalkN                        int // answered calls with a known talk time
	WaitMs, TalkMs               int64
}

func (t *totals) add(o totals, sign int) {
	t.Offered += sign * o.Offered
	t.Answered += sign * o.Answered
	t.Abandoned += sign * o.Abandoned
	t.SLMet += sign * o.SLMet
	t.SLBase += sign * o.SLBase
	t.TalkN += sign * o.TalkN
	t.WaitMs += int64(sign) * o.WaitMs
	t.TalkMs += int64(sign) * o.TalkMs
}

// countEntry is one call's contribution to its queue's day, kept so it can be taken back
// when a later fact changes the call.
type countEntry struct {
	queue, day string
	t          totals
}

func (b *Board) queueConf(q string) QueueConfig {
	if c, ok := b.qconf[q]; ok {
		return c
	}
	return b.cfg.Default
}

func (b *Board) loc(source string) *time.Location {
	if l := b.cfg.Locations[source]; l != nil {
		return l
	}
	return time.UTC
}

// count adds a call's current facts to its queue: waiting now, and its day's counters
// (the local date of its start in its source's zone).
func (b *Board) count(id string, ce *callEntry) {
	c := &ce.view
	q := c.Queue
	if q == "" {
		return
	}
	if c.State == call.StateQueued || c.State == call.StateRinging {
		if b.waiting[q] == nil {
			b.waiting[q] = map[string]time.Time{}
		}
		b.waiting[q][id] = ce.start
		ce.waitQ = q
	}
	qc := b.queueConf(q)
	t := totals{Offered: 1}
	wait := 0.0
	if c.WaitS != nil {
		wait = *c.WaitS
	}
	switch {
	case ce.answered:
		t.Answered, t.SLBase, t.WaitMs = 1, 1, millis(wait)
		if wait <= qc.SLThresholdS {
			t.SLMet = 1
		}
		if c.State == call.StateEnded && c.TalkS != nil {
			t.TalkN, t.TalkMs = 1, millis(*c.TalkS)
		}
	case c.State == call.StateEnded && c.Direction != call.Outbound:
		// Abandoned; a caller who gave up within AbandonAfter does not count against SL.
		t.Abandoned = 1
		if c.WaitS == nil || wait > qc.AbandonAfterS {
			t.SLBase = 1
		}
	}
	day := ce.start.In(b.loc(c.Source)).Format(time.DateOnly)
	ce.count = &countEntry{queue: q, day: day, t: t}
	if b.days[q] == nil {
		b.days[q] = map[string]*totals{}
	}
	d := b.days[q][day]
	if d == nil {
		d = &totals{}
		b.days[q][day] = d
	}
	d.add(t, 1)
}

// uncount takes a call's contribution back.
func (b *Board) uncount(id string, ce *callEntry) {
	if q := ce.waitQ; q != "" {
		delete(b.waiting[q], id)
		if len(b.waiting[q]) == 0 {
			delete(b.waiting, q)
		}
		ce.waitQ = ""
	}
	if ce.count == nil {
		return
	}
	q, day := ce.count.queue, ce.count.day
	if d := b.days[q][day]; d != nil {
		d.add(ce.count.t, -1)
		if *d == (totals{}) {
			delete(b.days[q], day)
			if len(b.days[q]) == 0 {
				delete(b.days, q)
			}
		}
	}
	ce.count = nil
}

func millis(s float64) int64 { return int64(math.Round(s * 1000)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// Queues lists every queue known (configured, named by a call or an agent) with its
// live picture at now and today's counters; now is the caller's clock, the board's
// state is not changed.
func (b *Board) Queues(now time.Time) []call.Queue {
	ids := map[string]bool{}
	for q := range b.qconf {
		ids[q] = true
	}
	for q := range b.days {
		ids[q] = true
	}
	for q := range b.waiting {
		ids[q] = true
	}
	byState := map[string]map[string]int{}
	for _, a := range b.agents {
		for _, q := range a.view.Queues {
			ids[q] = true
			if byState[q] == nil {
				byState[q] = map[string]int{}
			}
			byState[q][a.view.State]++
		}
	}
	out := make([]call.Queue, 0, len(ids))
	for _, id := range sortedKeys(ids) {
		src, name := "", id
		if i := strings.IndexByte(id, ':'); i >= 0 {
			src, name = id[:i], id[i+1:]
		}
		if c, ok := b.qconf[id]; ok && c.Name != "" {
			name = c.Name
		}
		q := call.Queue{ID: id, Name: name, Source: src, Agents: map[string]int{}}
		for _, s := range []string{call.StateAvailable, call.StateRinging, call.StateOnCall, call.StatePaused} {
			q.Agents[s] = byState[id][s]
		}
		for _, start := range b.waiting[id] {
			q.Waiting++
			if w := math.Floor(now.Sub(start).Seconds()); w > q.LongestWaitS {
				q.LongestWaitS = w
			}
		}
		if t := b.days[id][now.In(b.loc(src)).Format(time.DateOnly)]; t != nil {
			q.Today = call.Counters{Offered: t.Offered, Answered: t.Answered, Abandoned: t.Abandoned}
			if t.SLBase > 0 {
				q.Today.ServiceLevelPct = round1(100 * float64(t.SLMet) / float64(t.SLBase))
			}
			if t.Answered > 0 {
				q.Today.ASAS = round1(float64(t.WaitMs) / 1000 / float64(t.Answered))
			}
			if t.TalkN > 0 {
				q.Today.AHTS = round1(float64(t.TalkMs) / 1000 / float64(t.TalkN))
			}
		}
		out = append(out, q)
	}
	return out
}
