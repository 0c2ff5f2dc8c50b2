package live

import (
	"fmt"
	"time"

	// The snapshot's JSON is what a restart waits for: go-json reads it in two thirds
	// of encoding/json's time (1M events' board: 1.9 s to ready against 2.8 s). Same
	// JSON, so either reads what the other wrote.
	json "github.com/goccy/go-json"

	"ringside/server/call"
)

// snapshotVersion changes whenever the snapshot's meaning does; Restore refuses others,
// and the caller then replays the whole log.
const snapshotVersion = 4

// snapshot holds the board's facts: the events of calls still open or recently ended,
// which Restore refolds under the configuration it is given (a changed directory
// regroups agents), and what settled calls derived (compact.go), valid under the
// directory and entry points named by FoldKey: under others Restore refolds them from
// the log (Config.CallEvents), or refuses the snapshot without one.
type snapshot struct {
	Version int         `json:"version"`
	FoldKey string      `json:"fold_key"`
	Clock   time.Time   `json:"clock"`
	Cutoff  time.Time   `json:"cutoff"`
	Calls   []snapCall  `json:"calls"`
	Agents  []*sigFacts `json:"agents"`
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
	ID      string       `json:"id"`
	Events  []call.Event `json:"events,omitempty"`
	Settled *snapSettled `json:"settled,omitempty"` // a compact call: what its events derived
}

// Snapshot serializes the board; it does not change it.
func (b *Board) Snapshot() ([]byte, error) {
	s := snapshot{Version: snapshotVersion, FoldKey: foldKey(b.cfg), Clock: b.clock, Cutoff: b.cutoff}
	for _, id := range sortedKeys(b.calls) {
		ce := b.calls[id]
		if ce.compact {
			s.Calls = append(s.Calls, snapCall{ID: id, Settled: settledOf(ce)})
			continue
		}
		sc := snapCall{ID: id, Events: make([]call.Event, len(ce.events))}
		for i := range ce.events {
			sc.Events[i] = ce.events[i].ev
		}
		s.Calls = append(s.Calls, sc)
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
	return json.Marshal(s)
}

// Restore rebuilds a board from a snapshot.
func Restore(cfg Config, data []byte) (*Board, error) {
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("live: snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return nil, fmt.Errorf("live: snapshot version %d, want %d", s.Version, snapshotVersion)
	}
	refold := s.FoldKey != foldKey(cfg) // the directory or the entry points changed
	if refold && cfg.CallEvents == nil && hasSettled(s.Calls) {
		return nil, fmt.Errorf("live: snapshot taken under another directory or entry points, and no log to refold its settled calls from")
	}
	b := New(cfg)
	b.clock, b.cutoff = s.Clock, s.Cutoff
	for _, f := range s.Agents {
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
	b.restoreCallbacks(s.Callbacks)
	for _, e := range s.Voicemails {
		b.vms[voicemailKey(e)] = e
	}
	ch := &changes{agents: map[string]bool{}, queues: map[string]bool{}}
	for _, sc := range s.Calls {
		if sc.Settled != nil && !refold {
			b.restoreSettled(sc.ID, sc.Settled, ch)
			continue
		}
		ce := &callEntry{}
		if sc.Settled != nil {
			if err := b.reload(sc.ID, ce, 0); err != nil {
				return nil, err
			}
		}
		for _, e := range sc.Events {
			ce.events, _ = insert(ce.events, normalize(e))
		}
		if len(ce.events) == 0 {
			continue
		}
		b.calls[sc.ID] = ce
		b.refold(sc.ID, ce, ch)
	}
	for _, a := range b.agents {
		a.view = b.agentView(a)
	}
	return b, nil
}

func hasSettled(calls []snapCall) bool {
	for _, sc := range calls {
		if sc.Settled != nil {
			return true
		}
	}
	return false
}

func (b *Board) restoreCallbacks(s snapCallbacks) {
	for id, f := range s.Retained {
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
