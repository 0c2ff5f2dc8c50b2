package live

import (
	"reflect"
	"time"

	"ringside/server/call"
)

// callEntry is one call in memory: the distinct events it was told, in canonical order,
// and what the latest fold of them derived.
type callEntry struct {
	events   []stored
	view     call.Call
	start    time.Time // StartedAt, else the first event's time: sorting and "today"
	lastAt   time.Time // the latest event time: expiry and retention
	answered bool
	ghost    bool        // only side events (a device state, a rating): not shown, not counted
	deferred bool        // has events its view does not fold yet (a replay batch, batch.go)
	inv      parts       // each agent's part
	count    *countEntry // its contribution to the queue counters
	waitQ    string      // the queue it waits in, if it does
	compact  bool        // settled: events dropped, view kept (compact.go)
	packed   []byte      // settled: the view's lists, packed (compact.go)
	gen      uint64      // folds so far
}

// applyCall adds e (logged at seq) to its call and refolds the call.
func (b *Board) applyCall(e call.Event, seq uint64, ch *changes) {
	ce := b.calls[e.Call]
	if ce == nil {
		ce = &callEntry{events: make([]stored, 0, 8)}
		b.calls[e.Call] = ce
	}
	if ce.compact {
		b.foldDeferred() // the settle queue stays in the order of the clock
		if b.reload(e.Call, ce, seq) != nil {
			return // the log could not be read: the event stays in it for a replay
		}
	}
	if !roomFor(len(ce.events), e) {
		return // see limits.go
	}
	evs, added := insert(ce.events, e, seq)
	if !added {
		b.foldDeferred()          // the settle queue stays in the order of the clock
		b.queueSettle(e.Call, ce) // reloaded for nothing: settles again
		return                    // the same fact again
	}
	ce.events = evs
	if b.deferFold(e.Call, ce) {
		return // folded at the end of the replay batch
	}
	b.refoldFrom(e.Call, ce, ce.view, ce.ghost, ce.waitQ, ch)
}

// refoldFrom refolds a call whose view was old (ghost or not, waiting in oldWait) and
// notes what changed.
func (b *Board) refoldFrom(id string, ce *callEntry, old call.Call, wasGhost bool, oldWait string, ch *changes) {
	b.refold(id, ce, ch)
	ch.queues[oldWait], ch.queues[ce.waitQ] = true, true
	if ce.ghost || (!wasGhost && reflect.DeepEqual(old, ce.view)) {
		return
	}
	ended := ce.view.State == call.StateEnded
	ch.calls = append(ch.calls, Change{Kind: KindCall, ID: id, Ended: ended, Ring: newRinging(old.Ringing, ce.view.Ringing)})
	if ended && b.batch.ch != nil {
		b.noteEnded(id, ce)
	}
	ch.queues[old.Queue] = true
	ch.queues[ce.view.Queue] = true
}

// newRinging is the first agent ringing now that was not ringing before.
func newRinging(before, now []string) string {
	for _, a := range now {
		found := false
		for _, b := range before {
			found = found || a == b
		}
		if !found {
			return a
		}
	}
	return ""
}

// refold recomputes a call from its events and moves its effects on agents and queues.
func (b *Board) refold(id string, ce *callEntry, ch *changes) {
	f := b.fold(id, ce.events)
	b.uncount(id, ce)
	ce.view, ce.start, ce.lastAt, ce.answered = f.view, f.start, f.lastAt, f.answered
	ce.view.QueueName = b.rules.For(ce.view.Queue).Name
	ce.ghost = true
	for i := range ce.events {
		ev := &ce.events[i].ev
		ce.ghost = ce.ghost && (!callFact(ev.Type) || ev.Role == call.RoleMonitor)
	}
	if !ce.ghost {
		b.count(id, ce)
	}
	if !ce.ghost && ce.view.State != call.StateEnded {
		b.active[id] = ce
	} else {
		delete(b.active, id)
	}
	for _, p := range ce.inv {
		if _, ok := f.inv.get(p.agent); !ok {
			if a := b.agents[p.agent]; a != nil {
				a.setCall(id, involvement{}, false)
			}
			ch.agents[p.agent] = true
		}
	}
	for _, p := range f.inv {
		a := b.agent(p.agent)
		if old, ok := a.part(id); !ok || old != p.inv {
			a.setCall(id, p.inv, true)
			ch.agents[p.agent] = true
		}
	}
	ce.inv = f.inv
	b.noteCallback(id, ce, ch)
	ce.gen++
	b.queueSettle(id, ce)
}

// callFact says an event is about the call itself; a call known only from side events
// (a device going idle with its id, a late rating) is kept but not shown, so a stray
// event never makes an empty call appear.
func callFact(t call.Type) bool {
	switch t {
	case call.CallOffered, call.LegRinging, call.LegEnded, call.CallAnswered, call.CallEnded,
		call.CallRecord, call.CallTransferred, call.CallExpired:
		return true
	}
	return false
}

// drop forgets a call (retention) and its effects.
func (b *Board) drop(id string, ce *callEntry, ch *changes) {
	b.uncount(id, ce)
	b.dropCallback(id)
	for _, p := range ce.inv {
		if a := b.agents[p.agent]; a != nil {
			a.setCall(id, involvement{}, false)
		}
		ch.agents[p.agent] = true
	}
	if ce.compact {
		b.segs.changed = append(b.segs.changed, id)
	}
	delete(b.calls, id)
	delete(b.active, id)
}

// cutoffOf is the retention boundary for a clock: day granularity, so the sweep runs once
// a day and its result does not depend on when within the day events arrived.
func cutoffOf(clock time.Time) time.Time {
	if clock.IsZero() {
		return time.Time{}
	}
	return clock.UTC().Truncate(24 * time.Hour).Add(-retention)
}

// sweep drops ended (or never shown) calls last heard of before the cutoff.
func (b *Board) sweep(ch *changes) {
	for _, id := range sortedKeys(b.calls) {
		ce := b.calls[id]
		if (ce.ghost || ce.view.State == call.StateEnded) && ce.lastAt.Before(b.cutoff) {
			b.drop(id, ce, ch)
		}
	}
}

// Expired returns a CallExpired event for every active call whose last event is at
// least ExpireAfter before now. The caller appends them to the log; applying one ends
// its call (ended at its last event), so a replay decides the same.
func (b *Board) Expired(now time.Time) []call.Event {
	var out []call.Event
	for _, id := range sortedKeys(b.active) {
		ce := b.active[id]
		if now.Sub(ce.lastAt) < b.cfg.ExpireAfter {
			continue
		}
		out = append(out, call.Event{
			Source: ce.view.Source, Vendor: ce.view.Vendor, Name: "CallExpired", Type: call.CallExpired,
			Call: id, At: now, ReceivedAt: now, EndedAt: call.T(ce.lastAt),
			HangupReason: "expired: no end received",
		})
	}
	return out
}
