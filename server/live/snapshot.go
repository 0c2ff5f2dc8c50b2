package live

import (
	"fmt"
	"slices"
	"time"

	"ringside/server/call"
)

// snapshotVersion changes whenever the snapshot's meaning does; Restore refuses others,
// and the caller then replays the whole log. Version 5 adds the segmented head
// (segments.go), version 6 open calls' events named by their log positions (snapCall);
// versions 4 and 5 read the same.
const snapshotVersion = 6

// snapshot holds the board's facts: the events of calls still open or recently ended,
// which Restore refolds under the configuration it is given (a changed directory
// regroups agents), and what settled calls derived (compact.go), valid under the
// directory and entry points named by FoldKey: under others Restore refolds them from
// the log (Config.CallEvents), or refuses the snapshot without one.
type snapshot struct {
	Version int        `json:"version"`
	FoldKey string     `json:"fold_key"`
	Clock   time.Time  `json:"clock"`
	Cutoff  time.Time  `json:"cutoff"`
	Calls   []snapCall `json:"calls"`
	// Settled counts the settled calls of a chunked snapshot, which are not in Calls
	// but in the chunks after the head (snapshotlayout.go), or of a segmented one
	// (Segmented), which are in the stored segments (segments.go).
	Settled   int         `json:"settled,omitempty"`
	Segmented bool        `json:"segmented,omitempty"`
	Agents    []*sigFacts `json:"agents"`
	// Callbacks holds what calls no longer in memory still say about callers to call
	// back, and people's marks; calls in memory say theirs again when refolded.
	Callbacks snapCallbacks `json:"callbacks"`
	// Voicemails are the voicemail messages kept (their events).
	Voicemails []call.Event `json:"voicemails,omitempty"`
}

type snapCallbacks struct {
	Retained map[string]cbFact       `json:"retained,omitempty"` // by call id
	Reached  map[string]time.Time    `json:"reached,omitempty"`
	Marks    map[string][]call.Event `json:"marks,omitempty"`
}

type snapCall struct {
	ID     string       `json:"id"`
	Events []call.Event `json:"events,omitempty"`
	// Seqs names the call's events by their log positions instead, in a segmented head
	// of a board with Config.EventsAt to read them back: a head held every event of
	// the last quarter hour's calls (which the log holds anyway), megabytes to copy,
	// encode and store at every snapshot of a busy board.
	Seqs    []uint64     `json:"seqs,omitempty"`
	Settled *snapSettled `json:"settled,omitempty"` // a compact call: what its events derived
}

// Snapshot serializes the board; it does not change it. It is written in chunks
// (snapshotlayout.go) so that a restart decodes them beside the restore.
func (b *Board) Snapshot() ([]byte, error) {
	return writeChunked(b.snapshotDoc(false))
}

// snapshotDoc is the board's facts, every call in id order; segmented, only the
// number of the settled calls (segments.go holds them), and the other calls' events
// by their log positions where the board can read them back.
func (b *Board) snapshotDoc(segmented bool) snapshot {
	s := snapshot{Version: snapshotVersion, FoldKey: foldKey(b.cfg), Clock: b.clock, Cutoff: b.cutoff, Segmented: segmented}
	ids := sortedKeys(b.calls)
	if segmented {
		ids, s.Settled = b.unsettledIDs()
	}
	for _, id := range ids {
		ce := b.calls[id]
		if ce.compact {
			s.Calls = append(s.Calls, snapCall{ID: id, Settled: settledOf(ce)})
			continue
		}
		s.Calls = append(s.Calls, b.snapCallOf(id, ce, segmented && b.cfg.EventsAt != nil))
	}
	for _, k := range sortedKeys(b.sigs) {
		s.Agents = append(s.Agents, b.sigs[k])
	}
	s.Callbacks = snapCallbacks{Retained: map[string]cbFact{}, Reached: b.cb.reached, Marks: b.cb.marks}
	for id := range b.cb.retained {
		s.Callbacks.Retained[id] = b.cb.facts[id]
	}
	for _, k := range sortedKeys(b.vms) {
		s.Voicemails = append(s.Voicemails, b.vms[k])
	}
	return s
}

// unsettledIDs are the ids of the calls not settled, sorted, and how many are: the
// few a segmented head holds, without sorting the many.
func (b *Board) unsettledIDs() (ids []string, settled int) {
	for id, ce := range b.calls {
		if ce.compact {
			settled++
		} else {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, settled
}

// snapCallOf is a call not settled as a snapshot holds it: its events, or bySeq their
// log positions when every one is known.
func (b *Board) snapCallOf(id string, ce *callEntry, bySeq bool) snapCall {
	if bySeq {
		seqs := make([]uint64, 0, len(ce.events))
		for i := range ce.events {
			seqs = append(seqs, ce.events[i].seq)
		}
		slices.Sort(seqs)
		if len(seqs) > 0 && seqs[0] > 0 {
			return snapCall{ID: id, Seqs: seqs}
		}
	}
	sc := snapCall{ID: id, Events: make([]call.Event, len(ce.events))}
	for i := range ce.events {
		sc.Events[i] = ce.events[i].ev
	}
	return sc
}

// Restore rebuilds a board from a snapshot, in either layout (snapshotlayout.go).
func Restore(cfg Config, data []byte) (*Board, error) {
	s, settled, err := readSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("live: snapshot: %w", err)
	}
	if s.Segmented {
		return nil, fmt.Errorf("live: a snapshot head without its segments")
	}
	return restoreFrom(cfg, s, settled)
}

// restoreFrom rebuilds a board from a snapshot's head and its settled calls.
func restoreFrom(cfg Config, s snapshot, settled *settledSource) (*Board, error) {
	defer settled.stop()
	if s.Version != snapshotVersion && s.Version != 5 && s.Version != 4 {
		return nil, fmt.Errorf("live: snapshot version %d, want %d", s.Version, snapshotVersion)
	}
	refold := s.FoldKey != foldKey(cfg) // the directory or the entry points changed
	if refold && cfg.CallEvents == nil && settled.n > 0 {
		return nil, fmt.Errorf("live: snapshot taken under another directory or entry points, and no log to refold its settled calls from")
	}
	b := New(cfg)
	b.clock, b.cutoff = s.Clock, s.Cutoff
	b.calls = make(map[string]*callEntry, settled.n+len(s.Calls))
	b.cb.facts = make(map[string]cbFact, settled.n+len(s.Callbacks.Retained)) // most calls say something of a number
	b.restoreAgents(s.Agents)
	b.restoreCallbacks(s.Callbacks)
	for _, e := range s.Voicemails {
		b.vms[voicemailKey(e)] = e
	}
	// nobody is told of a restore's changes: pages redraw the whole board after it
	ch := &changes{agents: map[string]bool{}, queues: map[string]bool{}, quiet: true}
	if err := b.restoreSettledCalls(settled, refold, ch); err != nil {
		return nil, err
	}
	if err := readLogged(cfg, s.Calls); err != nil {
		return nil, err
	}
	for _, sc := range s.Calls {
		if err := b.restoreCall(sc, refold, ch); err != nil {
			return nil, err
		}
	}
	for _, a := range b.agents {
		a.view = b.agentView(a)
	}
	return b, nil
}

// restoreSettledCalls puts the settled calls back as their chunks are decoded: each
// call and its counts on this goroutine, its agents' parts and its callback fact on
// another (nothing else touches the agents' entries or the callback facts meanwhile,
// and a call is handed over once this goroutine is done with it). Restoring took
// about a second on one of two cores over 1M events' board. Under another directory
// the calls are refolded from the log, which touches everything: on this goroutine.
func (b *Board) restoreSettledCalls(settled *settledSource, refold bool, ch *changes) error {
	if refold {
		for calls := range settled.chunks() {
			for _, sc := range calls {
				if err := b.restoreCall(sc, true, ch); err != nil {
					return err
				}
			}
		}
		return settled.err()
	}
	side, sideDone := make(chan restoredChunk, 2), make(chan error, 1)
	go b.restoreSides(side, sideDone)
	err := b.restoreChunks(settled, side)
	if serr := <-sideDone; err == nil {
		err = serr
	}
	return err
}

// restoreChunks restores each chunk's calls and hands them to restoreSides; it closes
// side when done, or when it gives up (an error, a panic).
func (b *Board) restoreChunks(settled *settledSource, side chan<- restoredChunk) error {
	defer close(side)
	for calls := range settled.chunks() {
		entries := make([]*callEntry, len(calls))
		for i, sc := range calls {
			if sc.Settled == nil {
				return fmt.Errorf("live: snapshot: call %s in a chunk of settled calls is not settled", sc.ID)
			}
			entries[i] = b.restoreSettled(sc.ID, sc.Settled)
		}
		side <- restoredChunk{calls: calls, entries: entries}
	}
	return settled.err()
}

// restoredChunk is a chunk of settled calls back in the board, for their agents'
// parts and callback facts.
type restoredChunk struct {
	calls   []snapCall
	entries []*callEntry
}

// restoreSides gives the calls of each chunk their agents' parts and callback facts,
// and says when in is closed whether that failed: a panic here (no caller's recover
// reaches this goroutine) is an error, so the caller replays the log instead.
func (b *Board) restoreSides(in <-chan restoredChunk, done chan<- error) {
	var err error
	for c := range in {
		if err == nil {
			err = b.restoreSide(c)
		}
	}
	done <- err
}

func (b *Board) restoreSide(c restoredChunk) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("live: snapshot: restoring agents' parts and callback facts panicked: %v", p)
		}
	}()
	ch := &changes{quiet: true}
	for i, sc := range c.calls {
		b.restoreParts(sc.ID, sc.Settled)
		ce := c.entries[i]
		b.noteCallback(sc.ID, ce, ch)
		if ce.packed == nil {
			ce.pack()
		}
	}
	return nil
}

// readLogged gives the calls named by their events' log positions those events, read
// from the log in one go.
func readLogged(cfg Config, calls []snapCall) error {
	var seqs []uint64
	for _, sc := range calls {
		seqs = append(seqs, sc.Seqs...)
	}
	if len(seqs) == 0 {
		return nil
	}
	if cfg.EventsAt == nil {
		return fmt.Errorf("live: snapshot names events by their log positions, and there is no log to read them from")
	}
	logged, err := cfg.EventsAt(seqs)
	if err != nil {
		return fmt.Errorf("live: snapshot: reading its calls' events: %w", err)
	}
	for i := range calls {
		for _, seq := range calls[i].Seqs {
			if e, ok := logged[seq]; ok && e.Type != call.Other && e.Type != call.Unknown && e.Type != "" {
				calls[i].Events = append(calls[i].Events, e)
			}
		}
	}
	return nil
}

// restoreCall puts a call of a snapshot back by refolding it: its events, or a
// settled call's from the log (under another directory).
func (b *Board) restoreCall(sc snapCall, refold bool, ch *changes) error {
	ce := &callEntry{}
	if sc.Settled != nil {
		if err := b.reload(sc.ID, ce, 0); err != nil {
			return err
		}
	}
	for _, e := range sc.Events {
		ce.events, _ = insert(ce.events, normalize(e), e.Seq)
	}
	if len(ce.events) == 0 {
		return nil
	}
	b.calls[sc.ID] = ce
	b.refold(sc.ID, ce, ch)
	return nil
}

func (b *Board) restoreAgents(agents []*sigFacts) {
	for _, f := range agents {
		if f == nil || f.Agent == "" {
			continue
		}
		if f.Queues == nil {
			f.Queues = map[string]bool{}
		}
		key := sigKey(f.Agent, f.Aliases)
		b.sigs[key] = f
		b.agent(b.resolve(f.Agent, f.Aliases)).sigs[key] = f
	}
}

func (b *Board) restoreCallbacks(s snapCallbacks) {
	for id, f := range s.Retained {
		if f.Call == nil {
			f.Call = &call.Call{ID: id} // an abandon is listed with its call
		}
		b.cb.add(id, f)
		b.cb.retained[id] = true
	}
	for n, t := range s.Reached {
		b.cb.reached[n] = t
	}
	for n, ms := range s.Marks {
		b.cb.marks[n] = ms
	}
}
