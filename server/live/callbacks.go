package live

import (
	"slices"
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

// Callers to call back.
//
// An ended inbound call that nobody answered (missed, busy or failed) is an "abandon" of
// its caller's number, at its end time. A missed or failed call that gave up within its
// queue's short-abandon window (AbandonAfterS) is not: that is a misdial, not a customer
// waiting. A busy call is, whatever it waited: the caller was turned away. An answered
// call, on any source, "reaches" its customer's number (the caller of an inbound call,
// the callee of an outbound one) from its answer until its end.
//
// A number is listed while its latest abandon is later than its latest reach and than
// what people marked done: a callback.done event covers the abandoned call it names and
// every earlier abandon of that number. A callback.taken event names who is calling
// back; a later abandon is listed as not taken. Numbers are compared by their digits,
// so "+420 777 888 999" and "+420777888999" are one caller.
//
// Facts are kept per call and recomputed whenever the call is, so a call that looked
// missed and turns out answered leaves the list, and applying the same events in any
// order gives the same list. They outlive the call's retention: an abandon stays listed
// until it is reached or done, or for callbackKeep; the snapshot keeps them.
type callbacks struct {
	facts    map[string]cbFact          // by call id
	abandons map[string]map[string]bool // number key → call ids with an abandon fact
	reaches  map[string]map[string]bool // number key → call ids with a reach fact
	lastSeen map[string]time.Time       // number key → the latest of its reach facts
	open     map[string]int             // number key → how many abandon facts it has
	reached  map[string]time.Time       // number key → latest reach by a call no longer in memory
	marks    map[string][]call.Event    // number key → callback.done and callback.taken events
	retained map[string]bool            // call ids of abandons kept past their call's retention
}

// cbFact is what one call says about its customer's number. Every call in memory
// that reached or abandoned someone has one, so only abandons carry the call (a
// call.Call inline made each fact half a kilobyte, a sixth of a full board's heap).
type cbFact struct {
	Num     string     `json:"num"`
	Abandon bool       `json:"abandon,omitempty"`
	At      time.Time  `json:"at"`
	Call    *call.Call `json:"call,omitempty"` // abandons only: the call as the list shows it
}

// callbackKeep is how long an abandoned caller nobody reached or marked stays listed.
const callbackKeep = 7 * 24 * time.Hour

func newCallbacks() callbacks {
	return callbacks{facts: map[string]cbFact{}, abandons: map[string]map[string]bool{}, reaches: map[string]map[string]bool{},
		lastSeen: map[string]time.Time{}, open: map[string]int{},
		reached: map[string]time.Time{}, marks: map[string][]call.Event{}, retained: map[string]bool{}}
}

// isCallbackMark says whether an event is a person's callback fact.
func isCallbackMark(t call.Type) bool { return t == call.CallbackDone || t == call.CallbackTaken }

// numberKey is a phone number's digits (the text itself when it has none).
func numberKey(n string) string {
	var b strings.Builder
	for _, r := range n {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return strings.TrimSpace(n)
	}
	return b.String()
}

// callbackFact is what a call says about its customer's number, if anything.
func (b *Board) callbackFact(c call.Call) (cbFact, bool) {
	answered := c.AnsweredAt != nil || c.Disposition == call.Answered
	switch {
	case answered:
		num := c.From
		if c.Direction == call.Outbound {
			num = c.To
		}
		t := c.EndedAt // a call that was still going on when the caller gave up reached them too
		if t == nil {
			t = c.AnsweredAt
		}
		if num == "" || t == nil || c.Direction == call.Internal {
			return cbFact{}, false
		}
		return cbFact{Num: numberKey(num), At: *t}, true
	case c.State != call.StateEnded || c.EndedAt == nil || c.From == "":
		return cbFact{}, false
	case c.Direction != call.Inbound && !(c.Direction == "" && c.Queue != ""):
		return cbFact{}, false
	}
	switch c.Disposition {
	case call.Busy:
	case call.Missed, call.Failed:
		if c.WaitS != nil && *c.WaitS <= b.rules.For(c.Queue).AbandonAfterS {
			return cbFact{}, false
		}
	default:
		return cbFact{}, false
	}
	listed := c
	listed.Legs, listed.Transfers, listed.Events, listed.Ringing = nil, nil, nil, nil
	return cbFact{Num: numberKey(c.From), Abandon: true, At: *c.EndedAt, Call: &listed}, true
}

// noteCallback recomputes a call's fact after a refold.
func (b *Board) noteCallback(id string, ce *callEntry, ch *changes) {
	if ce.ghost {
		return // side events only: a kept abandon of a call past retention stays
	}
	f, ok := b.callbackFact(ce.view)
	legs := ce.view.Legs
	if ok && f.Abandon && ce.packed != nil { // a settled call: its lists are packed
		full := ce.full()
		f, ok = b.callbackFact(full)
		legs = full.Legs
	}
	if ok && f.Abandon {
		f.Call.Agent = "" // nobody answered; keep the offered agents as the audience
		for _, l := range legs {
			f.Call.Ringing = append(f.Call.Ringing, l.Agent)
		}
		slices.Sort(f.Call.Ringing)
		f.Call.Ringing = slices.Compact(f.Call.Ringing)
	}
	old, had := b.cb.facts[id]
	if had == ok && (!ok || factEqual(old, f)) {
		return
	}
	if had && ok && !old.Abandon && !f.Abandon && old.Num == f.Num && !f.At.Before(old.At) {
		b.cb.facts[id] = f // a reach moved later (the call went on): in place, no rescan
		if f.At.After(b.cb.lastSeen[f.Num]) {
			b.cb.lastSeen[f.Num] = f.At
		}
		b.touchNumber(f.Num, ch) // it may cover an abandon now
		delete(b.cb.retained, id)
		return
	}
	if had {
		b.touchNumber(old.Num, ch)
		b.cb.remove(id)
	}
	if ok {
		b.cb.add(id, f)
		b.touchNumber(f.Num, ch)
	}
	delete(b.cb.retained, id)
}

func factEqual(a, b cbFact) bool {
	return a.Num == b.Num && a.Abandon == b.Abandon && a.At.Equal(b.At) && callEqual(a.Call, b.Call)
}

func callEqual(a, b *call.Call) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ID == b.ID && a.Queue == b.Queue && a.Disposition == b.Disposition && a.From == b.From &&
		slices.Equal(a.Ringing, b.Ringing) && ptrEqual(a.WaitS, b.WaitS) && a.Contact == b.Contact &&
		a.DID == b.DID && a.HangupReason == b.HangupReason
}

func ptrEqual(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// A number's facts are kept apart by kind: its listing reads the abandons and the
// latest reach only, so a number that calls every day (a customer's switchboard, a
// withheld number) costs no more per call than one that calls once.

func (cb *callbacks) add(id string, f cbFact) {
	cb.facts[id] = f
	byNum := cb.reaches
	if f.Abandon {
		byNum = cb.abandons
		cb.open[f.Num]++
	} else if f.At.After(cb.lastSeen[f.Num]) {
		cb.lastSeen[f.Num] = f.At
	}
	if byNum[f.Num] == nil {
		byNum[f.Num] = map[string]bool{}
	}
	byNum[f.Num][id] = true
}

func (cb *callbacks) remove(id string) {
	f, ok := cb.facts[id]
	if !ok {
		return
	}
	byNum := cb.reaches
	if f.Abandon {
		byNum = cb.abandons
		if cb.open[f.Num]--; cb.open[f.Num] <= 0 {
			delete(cb.open, f.Num)
		}
	}
	delete(cb.facts, id)
	delete(cb.retained, id)
	if ids := byNum[f.Num]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(byNum, f.Num)
		}
	}
	if !f.Abandon && f.At.Equal(cb.lastSeen[f.Num]) { // the latest reach went
		delete(cb.lastSeen, f.Num)
		if !f.At.After(cb.reached[f.Num]) {
			return // a reach no longer in memory is as late: since() reads that one
		}
		for rid := range cb.reaches[f.Num] { // find the next (rare)
			if at := cb.facts[rid].At; at.After(cb.lastSeen[f.Num]) {
				cb.lastSeen[f.Num] = at
			}
		}
	}
}

// touchNumber records that a number's listing may change, with the audience of its
// abandons as they are now: called before and after a change, so both are told. A
// number without abandons (most answered calls) changes no listing.
func (b *Board) touchNumber(num string, ch *changes) {
	if ch.quiet {
		return
	}
	if ch.callbacks == nil {
		ch.callbacks = map[string]*Audience{}
	}
	for id := range b.cb.abandons[num] {
		f := b.cb.facts[id]
		c := ch.callbacks[num]
		if c == nil {
			c = &Audience{}
			ch.callbacks[num] = c
		}
		if f.Call.Queue != "" {
			c.Queues = append(c.Queues, f.Call.Queue)
		}
		c.Agents = append(c.Agents, f.Call.Ringing...)
	}
}

// applyMark applies a person's callback.done or callback.taken.
func (b *Board) applyMark(e call.Event, ch *changes) {
	num := numberKey(e.From)
	if num == "" {
		return
	}
	for _, m := range b.cb.marks[num] {
		if m.Type == e.Type && m.Call == e.Call && m.By == e.By && m.At.Equal(e.At) {
			return // the same fact again
		}
	}
	b.cb.marks[num] = append(b.cb.marks[num], e)
	b.touchNumber(num, ch)
}

// dropCallback keeps what a call dropped from memory still says about its number.
func (b *Board) dropCallback(id string) {
	f, ok := b.cb.facts[id]
	if !ok {
		return
	}
	if f.Abandon {
		b.cb.retained[id] = true
		return
	}
	if f.At.After(b.cb.reached[f.Num]) {
		b.cb.reached[f.Num] = f.At
	}
	b.cb.remove(id)
}

// through is the latest abandon a mark covers: the end of the abandoned call it names
// (EndedAt, as the person saw it listed), else every abandon before the mark itself.
func through(m call.Event) time.Time {
	if m.EndedAt != nil {
		return *m.EndedAt
	}
	return m.At
}

// since is when a number was last reached or marked done: abandons after it are listed.
func (cb *callbacks) since(num string) time.Time {
	since := cb.reached[num]
	if at := cb.lastSeen[num]; at.After(since) {
		since = at
	}
	for _, m := range cb.marks[num] {
		if t := through(m); m.Type == call.CallbackDone && t.After(since) {
			since = t
		}
	}
	return since
}

// entry is a number's listing, if it is listed.
func (cb *callbacks) entry(num string) (call.Callback, bool) {
	since := cb.since(num)
	var last *cbFact
	var out call.Callback
	for id := range cb.abandons[num] {
		f := cb.facts[id]
		if !f.At.After(since) {
			continue
		}
		out.Count++
		if f.Call.Queue != "" {
			out.Queues = append(out.Queues, f.Call.Queue)
		}
		out.Agents = append(out.Agents, f.Call.Ringing...)
		if last == nil || f.At.After(last.At) || (f.At.Equal(last.At) && f.Call.ID > last.Call.ID) {
			last = &f
		}
	}
	if last == nil {
		return call.Callback{}, false
	}
	out.Number, out.Last = last.Call.From, *last.Call
	out.Queues, out.Agents = sortedSet(out.Queues), sortedSet(out.Agents)
	out.Last.Ringing = nil
	var taken *call.Event
	for i, m := range cb.marks[num] {
		if m.Type == call.CallbackTaken && !through(m).Before(last.At) &&
			(taken == nil || m.At.After(taken.At) || (m.At.Equal(taken.At) && m.By > taken.By)) {
			taken = &cb.marks[num][i]
		}
	}
	if taken != nil {
		out.TakenBy, out.TakenAt = taken.By, call.T(taken.At)
	}
	return out, true
}

func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// Callbacks lists the callers to call back, the latest abandon first.
func (b *Board) Callbacks() []call.Callback {
	var out []call.Callback
	for num := range b.cb.open {
		if e, ok := b.cb.entry(num); ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i].Last.EndedAt, out[j].Last.EndedAt
		if !x.Equal(*y) {
			return x.After(*y)
		}
		return out[i].Last.ID > out[j].Last.ID
	})
	return out
}

// Callback is one number's listing, if it is listed.
func (b *Board) Callback(number string) (call.Callback, bool) {
	return b.cb.entry(numberKey(number))
}

// pruneCallbacks forgets, once a day, what can no longer change the list: reaches and
// marks older than callbackKeep, abandons of calls no longer in memory that are that old
// or already covered by a later reach or mark.
func (b *Board) pruneCallbacks(ch *changes) {
	horizon := b.cutoff.Add(-callbackKeep)
	for _, id := range sortedKeys(b.cb.retained) {
		f := b.cb.facts[id]
		if f.At.Before(horizon) || !f.At.After(b.cb.since(f.Num)) {
			b.touchNumber(f.Num, ch)
			b.cb.remove(id)
		}
	}
	for num, t := range b.cb.reached {
		if t.Before(horizon) {
			delete(b.cb.reached, num)
		}
	}
	for num, ms := range b.cb.marks {
		ms = slices.DeleteFunc(ms, func(m call.Event) bool { return m.At.Before(horizon) })
		if len(ms) == 0 {
			delete(b.cb.marks, num)
		} else {
			b.cb.marks[num] = ms
		}
	}
}
