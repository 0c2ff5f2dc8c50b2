package live

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"ringside/server/call"
)

// Settled calls are kept compact.
//
// A call's events are what its fold needs while facts about it still arrive; once it
// has ended and heard nothing for SettleAfter (by the board's clock, the latest receive
// time), the board keeps only what they derived: the call's view, each agent's part in
// it and its contribution to the queue counters; the view's lists (legs, transfers,
// recordings, contact, tags) are packed as JSON, unpacked when the call is read. A
// 48-hour history then costs about a kilobyte a call, not every event of every call. A late event for a settled call (a record hours
// after its hangup, a rating) reloads the call's events from the log (Config.CallEvents,
// the log's by-call index), those logged before the late one, and refolds: the board
// stays the function of the events applied to it, as if it had never let them go.
//
// Without Config.CallEvents nothing is compacted (a board with no log behind it).

// defaultSettleAfter is how long an ended call keeps its events after its last one:
// most late facts (post-call records, ratings, devices going idle) come within it.
const defaultSettleAfter = 15 * time.Minute

// A flood of short calls (a source sending complete calls at its rate limit, a backlog
// sent as fast as the server takes it) would keep a quarter of an hour of them whole:
// about 1.8 KB an event, gigabytes at 2,000 deliveries a second. So past MaxUnsettled
// ended calls those that ended first settle early; a late event reloads them as it
// would after SettleAfter, and the board shows the same. A call centre's quarter of an
// hour is a few hundred to a few thousand calls, below the default; a burst's calls
// kept whole took about 11 KB each on the bench's full board (heap profile), so the
// default holds some 110 MiB of them. When a call
// settles is not part of what the board shows: a restored board (whose queue holds its
// calls in the snapshot's order) may settle different calls early from the board that
// was snapshotted, and both show the same.
const defaultMaxUnsettled = 10_000

// settling is an ended call waiting to settle: its fold generation and the board's
// clock when it ended (receive times: a vendor's wrong clock cannot hold the queue).
type settling struct {
	id  string
	gen uint64
	at  time.Time
}

// queueSettle notes that a call has ended (again): it settles SettleAfter later.
func (b *Board) queueSettle(id string, ce *callEntry) {
	if b.cfg.CallEvents == nil || ce.compact || ce.ghost || ce.view.State != call.StateEnded {
		return
	}
	at := b.clock
	if !b.batch.foldClock.IsZero() {
		at = b.batch.foldClock // a deferred fold: when its call's last event came (batch.go)
	}
	b.settling = append(b.settling, settling{id: id, gen: ce.gen, at: at})
}

// settle compacts the calls that ended SettleAfter ago (by the board's clock) and were
// not refolded since: a call refolded meanwhile was queued again by that refold.
func (b *Board) settle() {
	n := 0
	for _, s := range b.settling {
		if b.clock.Sub(s.at) < b.cfg.SettleAfter {
			break
		}
		n++
		if ce := b.settles(s); ce != nil {
			b.compactCall(s.id, ce)
		}
	}
	if n > 0 {
		b.settling = slices.Delete(b.settling, 0, n)
		if cap(b.settling) > 1024 && len(b.settling) < cap(b.settling)/4 {
			b.settling = slices.Clip(b.settling)
		}
	}
	b.settleOverflow()
}

// settleOverflow settles early the calls that ended first while more than
// MaxUnsettled ended calls keep their events. The queue also holds entries of calls
// refolded since, so it is counted exactly (those dropped) only once it is a quarter
// past the bound: a pass per MaxUnsettled/4 calls ended at most. Not within a replay
// batch, whose calls wait to be folded: at its end.
func (b *Board) settleOverflow() {
	limit := b.cfg.MaxUnsettled
	if len(b.settling) <= limit+limit/4 || b.batch.ch != nil {
		return
	}
	waiting := b.settling[:0]
	for _, s := range b.settling {
		if b.settles(s) != nil {
			waiting = append(waiting, s)
		}
	}
	clear(b.settling[len(waiting):])
	b.settling = waiting
	over := len(b.settling) - limit
	if over <= 0 {
		return
	}
	for _, s := range b.settling[:over] {
		if ce := b.settles(s); ce != nil { // a call queued twice settles once
			b.compactCall(s.id, ce)
			b.settledEarly++
		}
	}
	b.settling = slices.Delete(b.settling, 0, over)
}

// settles is the call s would settle: nil when it has gone, settled, was refolded since
// it was queued (or is waiting to be), or is a ghost.
func (b *Board) settles(s settling) *callEntry {
	ce := b.calls[s.id]
	if ce == nil || ce.compact || ce.ghost || ce.view.State != call.StateEnded || ce.gen != s.gen || ce.deferred {
		return nil
	}
	return ce
}

// compactCall lets a settled call's events go (see above).
func (b *Board) compactCall(id string, ce *callEntry) {
	ce.events, ce.compact = nil, true
	ce.pack()
	b.segs.changed = append(b.segs.changed, id)
}

// reload gives a settled call back its events: those the log holds for it before seq
// (all of them for seq 0), with the per-call bounds applied in log order as when they
// were first applied.
func (b *Board) reload(id string, ce *callEntry, seq uint64) error {
	evs, err := b.cfg.CallEvents(id)
	if err != nil {
		b.reloadFailed++
		b.reloadErr = fmt.Errorf("live: reloading call %s from the log: %w", id, err)
		return b.reloadErr
	}
	ce.events = make([]stored, 0, len(evs)+1)
	for _, e := range evs {
		if seq != 0 && e.Seq >= seq {
			break // logged at or after the event being applied: not applied yet
		}
		if e.Call != id || e.Type == call.Other || e.Type == call.Unknown || e.Type == "" || !roomFor(len(ce.events), e) {
			continue
		}
		ce.events, _ = insert(ce.events, normalize(e), e.Seq)
	}
	ce.view, ce.packed, ce.compact = ce.full(), nil, false
	b.segs.changed = append(b.segs.changed, id)
	b.reloaded++
	return nil
}

// viewLists are the parts of a settled call's view kept packed.
type viewLists struct {
	Ringing    []string          `json:"r,omitempty"`
	Recordings []call.Recording  `json:"rec,omitempty"`
	Contact    *call.Contact     `json:"c,omitempty"`
	Legs       []call.Leg        `json:"l,omitempty"`
	Transfers  []call.Transfer   `json:"t,omitempty"`
	Tags       map[string]string `json:"g,omitempty"`
}

// pack moves the view's lists into packed.
func (ce *callEntry) pack() {
	v := &ce.view
	l := viewLists{Ringing: v.Ringing, Recordings: v.Recordings, Contact: v.Contact, Legs: v.Legs, Transfers: v.Transfers, Tags: v.Tags}
	data, err := json.Marshal(l)
	if err != nil {
		return // kept unpacked
	}
	ce.packed = data
	v.Ringing, v.Recordings, v.Contact, v.Legs, v.Transfers, v.Tags = nil, nil, nil, nil, nil, nil
}

// full is the call's whole view, unpacked if it is packed.
func (ce *callEntry) full() call.Call {
	c := ce.view
	if ce.packed == nil {
		return c
	}
	var l viewLists
	if json.Unmarshal(ce.packed, &l) == nil {
		c.Ringing, c.Recordings, c.Contact, c.Legs, c.Transfers, c.Tags = l.Ringing, l.Recordings, l.Contact, l.Legs, l.Transfers, l.Tags
	}
	return c
}

// Reloads says how many settled calls were given back their events by a late event,
// how many of those reloads failed, and the last failure (the late event was then not
// applied; the log keeps it, and a replay applies it).
func (b *Board) Reloads() (ok, failed int, last error) {
	return b.reloaded, b.reloadFailed, b.reloadErr
}

// SettledEarly is how many calls settled before SettleAfter, past MaxUnsettled.
func (b *Board) SettledEarly() int { return b.settledEarly }

// foldKey identifies what a fold depends on in the configuration (the directory and
// the entry points): a snapshot's compact calls are valid only under the same key.
// Queue names and thresholds, zones and expiry are applied again on restore.
func foldKey(cfg Config) string {
	type entry struct {
		ID    string
		Match []string
	}
	var dir []entry
	for _, d := range cfg.Directory {
		dir = append(dir, entry{d.ID, d.Match})
	}
	eps := make([]string, 0, len(cfg.EntryPoints))
	for _, k := range sortedKeys(cfg.EntryPoints) {
		eps = append(eps, k+"="+cfg.EntryPoints[k])
	}
	data, _ := json.Marshal(struct {
		Dir []entry
		EPs []string
	}{dir, eps})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12])
}

// snapSettled is a settled call in a snapshot: what its events derived, its view's
// lists kept packed (restoring reads them only when the call is read).
type snapSettled struct {
	View     call.Call       `json:"view"`
	Lists    json.RawMessage `json:"lists,omitempty"`
	Start    time.Time       `json:"start"`
	LastAt   time.Time       `json:"last_at"`
	Answered bool            `json:"answered,omitempty"`
	Parts    []snapInvolve   `json:"parts,omitempty"`
}

// snapInvolve is one agent's part in a settled call.
type snapInvolve struct {
	Agent   string    `json:"agent"`
	Queue   string    `json:"queue,omitempty"`
	OnCall  time.Time `json:"on_call,omitzero"`
	Ringing time.Time `json:"ringing,omitzero"`
	End     time.Time `json:"end,omitzero"`
}

func settledOf(ce *callEntry) *snapSettled {
	s := &snapSettled{View: ce.view, Lists: ce.packed, Start: ce.start, LastAt: ce.lastAt, Answered: ce.answered}
	for _, p := range ce.inv { // sorted by agent
		s.Parts = append(s.Parts, snapInvolve{Agent: p.agent, Queue: p.inv.queue, OnCall: p.inv.onCall, Ringing: p.inv.ringing, End: p.inv.end})
	}
	return s
}

// restoreSettled puts a settled call back as the snapshot holds it, counted under the
// board's (possibly new) queue rules; restoreSides gives its agents their part in it
// and notes its callback fact.
func (b *Board) restoreSettled(id string, s *snapSettled) *callEntry {
	ce := &callEntry{view: s.View, packed: s.Lists, start: s.Start, lastAt: s.LastAt, answered: s.Answered, compact: true,
		inv: make(parts, 0, len(s.Parts))}
	ce.view.QueueName = b.rules.For(ce.view.Queue).Name
	b.calls[id] = ce
	b.count(id, ce)
	for _, p := range s.Parts {
		ce.inv.set(p.Agent, p.involvement())
	}
	return ce
}

// restoreParts gives a settled call's agents their part in it.
func (b *Board) restoreParts(id string, s *snapSettled) {
	for _, p := range s.Parts {
		b.agent(p.Agent).setCall(id, p.involvement(), true)
	}
}

func (p snapInvolve) involvement() involvement {
	return involvement{queue: p.Queue, onCall: p.OnCall, ringing: p.Ringing, end: p.End}
}
