// Package live keeps the live board: calls, agents and queues derived from the event log.
//
// Board is a pure function of the events applied to it, whatever their order or
// duplication: each call keeps the set of its distinct events and is recomputed from
// them in a canonical order; agent facts are kept as "latest by event time" and unions;
// queue counters are sums over the calls' final facts. Nothing reads the wall clock:
// times come from events or from the caller (Queues, Expired).
//
// A call that has settled (ended, then quiet for a while) keeps only what its events
// derived, and a late event reads its events back from the log (compact.go), so memory
// follows the calls of the last 48 hours, not their events.
//
// A Board is not safe for concurrent use: the caller serializes Apply with readers.
// Values returned by readers share slices with the board; treat them as read-only.
package live

import (
	"cmp"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

// DirectoryEntry is one person and the vendor identities ("source:identity") that are them.
type DirectoryEntry struct {
	ID, Name string
	Match    []string
	Queues   []string // queues the person belongs to where the PBX does not say ("source:queue")
}

// QueueConfig holds a queue's display name and metric thresholds; zero values take the
// defaults (the name in its id, 20 s, 5 s).
type QueueConfig struct {
	Name          string
	SLThresholdS  float64 // answered within this many seconds counts for service level
	AbandonAfterS float64 // abandons within this many seconds do not count against it
}

// Config is what the board needs from the configuration.
type Config struct {
	Directory []DirectoryEntry
	Queues    map[string]QueueConfig // by queue id ("source:name")
	Default   QueueConfig
	Locations map[string]*time.Location // source → time zone, for "today"
	// EntryPoints maps "source:entry point" (a Simotel IncomingCall's entry_point, our
	// DID) to the queue a call arriving there waits in, for PBXs whose arrival event
	// names no queue.
	EntryPoints map[string]string
	Vendors     map[string]string // source → vendor: which PBXs send presence at all
	ExpireAfter time.Duration     // active calls silent this long expire (default 4h)
	// CallEvents reads one call's events from the log (the by-call index), in log order
	// with Seq set: a late event for a settled call reloads them (compact.go). Nil: the
	// board keeps every call's events.
	CallEvents func(id string) ([]call.Event, error)
	// EventsAt reads logged events by seq (as CallEvents gives them): a segmented
	// snapshot then names its open calls' events by seq (snapshot.go). Nil: it holds
	// the events.
	EventsAt func(seqs []uint64) (map[uint64]call.Event, error)
	// SettleAfter is how long an ended call keeps its events (default 15 minutes).
	SettleAfter time.Duration
	// MaxUnsettled is how many ended calls may keep their events at once (default
	// 10,000); past it those that ended first settle early (compact.go).
	MaxUnsettled int
}

// Change says what an applied event changed.
type Change struct {
	Kind  string // "call", "agent" or "queue"
	ID    string
	Ended bool   // a call that has ended: persist it as a CDR
	Ring  string // the agent a call started ringing at (screen-pop)
	// Audience of a callback change (ID is the caller's number key): the queues and
	// agents whose callers to call back it concerns, before and after.
	Audience *Audience
}

// Audience is whom a change of callers to call back concerns.
type Audience struct{ Queues, Agents []string }

// Change kinds.
const (
	KindCall      = "call"
	KindAgent     = "agent"
	KindQueue     = "queue"
	KindCallback  = "callback"
	KindVoicemail = "voicemail"
)

// retention keeps ended calls in memory for at least this long after their last event,
// so Call(id), late events and "today" counters (any time zone) still find them.
const retention = 48 * time.Hour

// Board is the live picture.
type Board struct {
	cfg       Config
	dir       map[string]string         // lowercased identity → directory id
	directory map[string]DirectoryEntry // by id

	calls   map[string]*callEntry
	active  map[string]*callEntry // calls shown and not ended
	agents  map[string]*agentEntry
	sigs    map[string]*sigFacts            // agent facts by identity signature
	days    map[string]map[string]*Tally    // queue → local date → counts
	waiting map[string]map[string]time.Time // queue → waiting call → its start
	rules   Rules                           // resolved thresholds, by queue
	entries map[string]string               // normalized "source:entry point" → queue
	clock   time.Time                       // latest receive time seen
	cutoff  time.Time                       // ended calls last heard of before this are dropped
	cb      callbacks                       // callers to call back (callbacks.go)
	vms     map[string]call.Event           // voicemail messages by "source:id" (voicemails.go)

	settling               []settling  // ended calls in the order they ended (compact.go)
	settledEarly           int         // calls settled early, past MaxUnsettled
	batch                  replayBatch // calls whose folds wait for the end of a replay batch (batch.go)
	segs                   segState    // what the stored snapshot's segments hold (segments.go)
	reloaded, reloadFailed int
	reloadErr              error
}

// New returns an empty board.
func New(cfg Config) *Board {
	if cfg.ExpireAfter <= 0 {
		cfg.ExpireAfter = 4 * time.Hour
	}
	if cfg.SettleAfter <= 0 {
		cfg.SettleAfter = defaultSettleAfter
	}
	if cfg.MaxUnsettled <= 0 {
		cfg.MaxUnsettled = defaultMaxUnsettled
	}
	cfg.Default = withDefaults(cfg.Default, QueueConfig{SLThresholdS: 20, AbandonAfterS: 5})
	b := &Board{
		cfg:       cfg,
		dir:       map[string]string{},
		directory: map[string]DirectoryEntry{},
		calls:     map[string]*callEntry{},
		active:    map[string]*callEntry{},
		agents:    map[string]*agentEntry{},
		sigs:      map[string]*sigFacts{},
		days:      map[string]map[string]*Tally{},
		waiting:   map[string]map[string]time.Time{},
		rules:     NewRules(cfg),
		cb:        newCallbacks(),
		vms:       map[string]call.Event{},
		entries:   map[string]string{},
	}
	for ep, q := range cfg.EntryPoints {
		b.entries[entryKey(ep)] = q
	}
	for _, d := range cfg.Directory {
		b.directory[d.ID] = d
		for _, m := range d.Match {
			b.dir[strings.ToLower(m)] = d.ID
		}
		b.agent(d.ID)
	}
	for _, a := range b.agents {
		a.view = b.agentView(a)
	}
	return b
}

func withDefaults(c, d QueueConfig) QueueConfig {
	if c.SLThresholdS <= 0 {
		c.SLThresholdS = d.SLThresholdS
	}
	if c.AbandonAfterS <= 0 {
		c.AbandonAfterS = d.AbandonAfterS
	}
	return c
}

// resolve maps an event's agent identity (or one of its aliases) to a directory id;
// an identity nobody claims is its own agent.
func (b *Board) resolve(ident string, aliases []string) string {
	if ident == "" {
		return ""
	}
	if id, ok := b.dir[strings.ToLower(ident)]; ok {
		return id
	}
	for _, a := range aliases {
		if id, ok := b.dir[strings.ToLower(a)]; ok {
			return id
		}
	}
	return ident
}

// Apply applies one event and says what changed.
func (b *Board) Apply(e call.Event) []Change {
	if e.Type == call.Other || e.Type == call.Unknown || e.Type == "" {
		return nil
	}
	if rt := e.ReceivedAt; !rt.IsZero() && rt.After(b.clock) {
		b.clock = rt
	} else if rt.IsZero() && e.At.After(b.clock) {
		b.clock = e.At
	}
	seq := e.Seq // the log position: a settled call reloads what was logged before it
	e = normalize(e)
	ch := b.batch.ch // during a replay batch (batch.go), else what this event changes
	if ch == nil {
		ch = &changes{agents: map[string]bool{}, queues: map[string]bool{}}
	}
	switch {
	case isCallbackMark(e.Type):
		b.foldDeferred() // marks and messages read the calls' callback facts
		b.applyMark(e, ch)
		return b.finishUnlessBatch(ch)
	case e.Type == call.VoicemailSaved:
		b.foldDeferred()
		b.applyVoicemail(e, ch)
		return b.finishUnlessBatch(ch)
	}
	// The day's sweep before the event, not after: a late record of a call older than
	// the new cutoff (or the first event of a fresh board, dated days back) must end
	// its call, and be stored as its CDR, before a later sweep drops it.
	if c := cutoffOf(b.clock); c.After(b.cutoff) {
		b.foldDeferred()
		b.cutoff = c
		b.sweep(ch)
		b.pruneCallbacks(ch)
		b.pruneVoicemails(ch)
	}
	if e.Agent != "" {
		ch.agents[b.addAgentFacts(e)] = true
	}
	if e.Call != "" {
		b.applyCall(e, seq, ch)
	}
	b.foldBeforeSettling()
	b.settle()
	return b.finishUnlessBatch(ch)
}

// changes collects what one Apply (or a replay batch) touched.
type changes struct {
	calls      []Change
	agents     map[string]bool
	queues     map[string]bool
	callbacks  map[string]*Audience // by number key
	voicemails map[string]bool      // message keys
	quiet      bool                 // a restore: nobody is told, so no audiences are gathered
}

// finish recomputes touched agents and lists the changes: call, agents, queues, each sorted.
func (b *Board) finish(ch *changes) []Change {
	out := ch.calls
	for _, id := range sortedKeys(ch.agents) {
		a := b.agents[id]
		if a == nil {
			continue
		}
		var v call.Agent
		if a.empty() && !isDirectory(b, id) {
			delete(b.agents, id) // nothing left says this identity exists
		} else {
			v = b.agentView(a)
		}
		if reflect.DeepEqual(v, a.view) {
			continue
		}
		for _, q := range a.view.Queues {
			ch.queues[q] = true
		}
		for _, q := range v.Queues {
			ch.queues[q] = true
		}
		a.view = v
		out = append(out, Change{Kind: KindAgent, ID: id})
	}
	for _, q := range sortedKeys(ch.queues) {
		if q != "" {
			out = append(out, Change{Kind: KindQueue, ID: q})
		}
	}
	for _, n := range sortedKeys(ch.callbacks) {
		a := ch.callbacks[n]
		a.Queues, a.Agents = sortedSet(a.Queues), sortedSet(a.Agents)
		out = append(out, Change{Kind: KindCallback, ID: n, Audience: a})
	}
	for _, k := range sortedKeys(ch.voicemails) {
		out = append(out, Change{Kind: KindVoicemail, ID: k})
	}
	return out
}

func isDirectory(b *Board, id string) bool {
	_, ok := b.directory[id]
	return ok
}

// Calls lists the active calls, oldest first.
func (b *Board) Calls() []call.Call {
	out := make([]*callEntry, 0, len(b.active))
	for _, c := range b.active {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].start.Equal(out[j].start) {
			return out[i].start.Before(out[j].start)
		}
		return out[i].view.ID < out[j].view.ID
	})
	calls := make([]call.Call, len(out))
	for i, c := range out {
		calls[i] = c.view
	}
	return calls
}

// Call returns a call that is active or ended recently enough to still be in memory.
func (b *Board) Call(id string) (call.Call, bool) {
	c, ok := b.calls[id]
	if ok && c.deferred {
		b.foldDeferred() // read during a replay batch (a callback taken names its call)
	}
	if !ok || c.ghost {
		return call.Call{}, false
	}
	return c.full(), true
}

// Agents lists the agents by name.
func (b *Board) Agents() []call.Agent {
	entries := make([]*agentEntry, 0, len(b.agents)) // sorted as pointers: a view is large to swap
	for _, a := range b.agents {
		entries = append(entries, a)
	}
	slices.SortFunc(entries, func(x, y *agentEntry) int {
		if c := cmp.Compare(x.view.Name, y.view.Name); c != 0 {
			return c
		}
		return cmp.Compare(x.view.ID, y.view.ID)
	})
	out := make([]call.Agent, len(entries))
	for i, a := range entries {
		out[i] = a.view
	}
	return out
}

// Agent returns one agent.
func (b *Board) Agent(id string) (call.Agent, bool) {
	a, ok := b.agents[id]
	if !ok {
		return call.Agent{}, false
	}
	return a.view, true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
