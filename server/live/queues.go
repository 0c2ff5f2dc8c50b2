package live

import (
	"math"
	"strings"
	"time"

	"ringside/server/call"
)

// countEntry is one call's contribution to its queue's day, kept so it can be taken back
// when a later fact changes the call.
type countEntry struct {
	queue, day string
	t          Tally
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
	if wq := waitQueue(*c); wq != "" {
		if b.waiting[wq] == nil {
			b.waiting[wq] = map[string]time.Time{}
		}
		b.waiting[wq][id] = ce.start
		ce.waitQ = wq
	}
	q := c.Queue
	if q == "" {
		return
	}
	t := b.rules.Tally(*c)
	day := ce.start.In(b.loc(c.Source)).Format(time.DateOnly)
	ce.count = &countEntry{queue: q, day: day, t: t}
	if b.days[q] == nil {
		b.days[q] = map[string]*Tally{}
	}
	d := b.days[q][day]
	if d == nil {
		d = &Tally{}
		b.days[q][day] = d
	}
	d.Add(t, 1)
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
		d.Add(ce.count.t, -1)
		if *d == (Tally{}) {
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
// live picture at now and today's counters, and each source's callers not yet in a
// queue while there are any; now is the caller's clock, the board's state is not changed.
func (b *Board) Queues(now time.Time) []call.Queue {
	ids := map[string]bool{}
	for q := range b.rules.queues {
		ids[q] = true
	}
	for q := range b.days {
		ids[q] = true
	}
	for q := range b.waiting {
		ids[q] = true
	}
	byState := map[string]map[call.AgentStatus]int{}
	for _, a := range b.agents {
		for q, st := range a.view.QueueStates {
			ids[q] = true
			if byState[q] == nil {
				byState[q] = map[call.AgentStatus]int{}
			}
			byState[q][st]++
		}
	}
	out := make([]call.Queue, 0, len(ids))
	for _, id := range sortedKeys(ids) {
		out = append(out, b.queueView(now, id, byState[id]))
	}
	return out
}

// QueueName is the name Queues gives queue id: its configured name, else its name at
// its source; "" for a source's callers not yet in a queue (the page says so in its
// language).
func (b *Board) QueueName(id string) string {
	src, name, ok := strings.Cut(id, ":")
	if !ok {
		src, name = "", id
	}
	if id == UnqueuedID(src) {
		return ""
	}
	if c := b.rules.For(id); c.Name != "" {
		return c.Name
	}
	return name
}

// Queue is one queue as Queues lists it, if listed, without working out the others:
// a wallboard tile's render (Queues over a few thousand agents was a third of the
// server's CPU when every changed tile worked out every queue).
func (b *Board) Queue(now time.Time, id string) (call.Queue, bool) {
	_, configured := b.rules.queues[id]
	_, counted := b.days[id]
	_, waited := b.waiting[id]
	byState := map[call.AgentStatus]int{}
	for _, a := range b.agents {
		if st, ok := a.view.QueueStates[id]; ok {
			byState[st]++
		}
	}
	if !configured && !counted && !waited && len(byState) == 0 {
		return call.Queue{}, false
	}
	return b.queueView(now, id, byState), true
}

// queueView is queue id at now, its agents counted by state.
func (b *Board) queueView(now time.Time, id string, byState map[call.AgentStatus]int) call.Queue {
	src, _, _ := strings.Cut(id, ":")
	q := call.Queue{ID: id, Name: b.QueueName(id), Source: src, Agents: map[call.AgentStatus]int{}, PresenceUnreported: b.silentSource(src)}
	q.Unqueued = id == UnqueuedID(src)
	for _, s := range []call.AgentStatus{call.StateAvailable, call.StateRinging, call.StateOnCall, call.StatePaused} {
		q.Agents[s] = byState[s]
	}
	q.Waiting, q.LongestWaitS = len(b.waiting[id]), longestWait(now, b.waiting[id])
	if t := b.days[id][now.In(b.loc(src)).Format(time.DateOnly)]; t != nil {
		q.Today = t.Counters()
	}
	return q
}

// waitingState says a call is a caller waiting: not answered, not over, not placed by us.
func waitingState(c call.Call) bool {
	return (c.State == call.StateQueued || c.State == call.StateRinging) && c.Direction != call.Outbound
}
