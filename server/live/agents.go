package live

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

// agentEntry is one agent: the facts of the identity signatures that resolve to it and
// its part in the calls in memory. Its view is recomputed whenever either changes.
type agentEntry struct {
	id    string
	sigs  map[string]*sigFacts
	calls map[string]endedPart // by call id: every call it has a part in
	view  call.Agent

	// Indexes over calls, so a view costs the agent's current calls, not its history.
	active      map[string]involvement // calls it rings at or talks on
	queues      map[string]int         // queue → calls naming it
	lastEnd     time.Time              // latest end of its part in a call
	lastEndCall string
}

func (a *agentEntry) empty() bool { return len(a.sigs) == 0 && len(a.calls) == 0 }

// endedPart is what the agent's part in a call keeps once it neither rings nor talks
// (its times then are zero): an agent has one for each of its calls of the last 48
// hours, and the full involvement for each of those would be twice the memory.
type endedPart struct {
	end   time.Time
	queue string
}

// part is the agent's part in call id, if it has one.
func (a *agentEntry) part(id string) (involvement, bool) {
	if inv, ok := a.active[id]; ok {
		return inv, true
	}
	p, ok := a.calls[id]
	return involvement{end: p.end, queue: p.queue}, ok
}

// setCall records (ok) or removes (!ok) the agent's part in a call, keeping the indexes.
func (a *agentEntry) setCall(id string, inv involvement, ok bool) {
	if old, had := a.calls[id]; had {
		if old.queue != "" {
			if a.queues[old.queue]--; a.queues[old.queue] == 0 {
				delete(a.queues, old.queue)
			}
		}
		delete(a.active, id)
		delete(a.calls, id)
	}
	recompute := a.lastEndCall == id
	if ok {
		a.calls[id] = endedPart{end: inv.end, queue: inv.queue}
		if inv.queue != "" {
			a.queues[inv.queue]++
		}
		if !inv.onCall.IsZero() || !inv.ringing.IsZero() {
			a.active[id] = inv
		}
		switch {
		case recompute && !inv.end.Before(a.lastEnd): // it still holds the latest end (its call went on)
			a.lastEnd, recompute = inv.end, false
		case !recompute && inv.end.After(a.lastEnd):
			a.lastEnd, a.lastEndCall = inv.end, id
		}
	}
	if recompute { // the call holding the latest end lost it: rescan (rare)
		a.lastEnd, a.lastEndCall = time.Time{}, ""
		for cid, c := range a.calls {
			if c.end.After(a.lastEnd) || (c.end.Equal(a.lastEnd) && !c.end.IsZero() && cid < a.lastEndCall) {
				a.lastEnd, a.lastEndCall = c.end, cid
			}
		}
	}
}

// involvement is an agent's part in one call, from the call's latest fold.
type involvement struct {
	onCall  time.Time // answered, call not over for this agent: since when
	ringing time.Time // ringing now: since when
	end     time.Time // when the agent's part ended, if it did
	queue   string
}

// parts are the agents' parts in one call, sorted by agent id. A call involves a few
// agents: a short slice costs a fraction of a map, for every call of the 48 hours a
// board keeps, and for every fold.
type parts []agentPart

type agentPart struct {
	agent string
	inv   involvement
}

func (ps parts) find(agent string) (int, bool) {
	return slices.BinarySearchFunc(ps, agent, func(p agentPart, a string) int { return strings.Compare(p.agent, a) })
}

// get is agent's part, if it has one.
func (ps parts) get(agent string) (involvement, bool) {
	if i, ok := ps.find(agent); ok {
		return ps[i].inv, true
	}
	return involvement{}, false
}

// set records agent's part.
func (ps *parts) set(agent string, inv involvement) {
	if i, ok := ps.find(agent); ok {
		(*ps)[i].inv = inv
	} else {
		*ps = slices.Insert(*ps, i, agentPart{agent: agent, inv: inv})
	}
}

// sigFacts are the agent facts seen with one identity signature (an event's Agent plus
// its aliases). Keeping them per signature, not per resolved agent, lets a restored
// snapshot regroup them under a changed directory. Every field merges commutatively.
type sigFacts struct {
	Agent    string                 `json:"agent"`
	Aliases  []string               `json:"aliases,omitempty"`
	Presence *call.Event            `json:"presence,omitempty"`  // latest presence naming no queue
	PerQueue map[string]*call.Event `json:"per_queue,omitempty"` // latest presence naming each queue
	Notes    map[string]*call.Event `json:"notes,omitempty"`     // latest pause note by queue ("" all)
	Name     *call.Event            `json:"name,omitempty"`      // latest event carrying AgentName
	DeviceAt time.Time              `json:"device_at,omitzero"`  // latest device state saying "not on a call"
	Queues   map[string]bool        `json:"queues,omitempty"`    // named by the agent's own events
	LiveSeen bool                   `json:"live_seen,omitempty"` // took part in live call events
}

// clone copies f so the board may go on changing f (its maps are changed in place; the
// events it points to are replaced, never changed).
func (f *sigFacts) clone() *sigFacts {
	c := *f
	c.PerQueue, c.Notes, c.Queues = maps.Clone(f.PerQueue), maps.Clone(f.Notes), maps.Clone(f.Queues)
	return &c
}

func sigKey(agent string, aliases []string) string {
	return agent + "\x00" + strings.Join(aliases, "\x00")
}

// agent returns the entry for id, creating it.
func (b *Board) agent(id string) *agentEntry {
	a := b.agents[id]
	if a == nil {
		a = &agentEntry{id: id, sigs: map[string]*sigFacts{}, calls: map[string]endedPart{},
			active: map[string]involvement{}, queues: map[string]int{}}
		b.agents[id] = a
	}
	return a
}

// addAgentFacts records what e says about its agent and returns the agent's id.
func (b *Board) addAgentFacts(e call.Event) string {
	aliases := uniqueSorted(e.AgentAliases)
	key := sigKey(e.Agent, aliases)
	id := b.resolve(e.Agent, aliases)
	s := b.sigs[key]
	if s == nil {
		s = &sigFacts{Agent: e.Agent, Aliases: aliases, Queues: map[string]bool{}}
		b.sigs[key] = s
		b.agent(id).sigs[key] = s
	}
	se := slim(e)
	s.notePresence(se)
	s.notePauseReason(se)
	if e.AgentName != "" && (s.Name == nil || compareEvents(se, s.Name) > 0) {
		s.Name = se
	}
	if e.Type == call.AgentState && idleState(e.AgentState) && e.At.After(s.DeviceAt) {
		s.DeviceAt = e.At
	}
	if (isPresence(e.Type) || e.Type == call.AgentMember) && e.Queue != "" {
		s.Queues[e.Queue] = true
	}
	if e.Call != "" && !isPresence(e.Type) && e.Type != call.CallRecord {
		s.LiveSeen = true
	}
	return id
}

// slim keeps what an agent fact needs of its event (its identity for ordering included).
func slim(e call.Event) *call.Event {
	e.Legs, e.Recordings, e.Tags, e.Contact = nil, nil, nil, nil
	return &e
}

func isPresence(t call.Type) bool {
	switch t {
	case call.AgentLogin, call.AgentLogout, call.AgentPaused, call.AgentUnpaused, call.AgentState:
		return true
	}
	return false
}

// presenceState is the agent state a presence event sets, "" for other events.
func presenceState(e *call.Event) call.AgentStatus {
	switch e.Type {
	case call.AgentLogin, call.AgentUnpaused:
		return call.StateAvailable
	case call.AgentLogout:
		return call.StateOffline
	case call.AgentPaused:
		return call.StatePaused
	case call.AgentState:
		switch e.AgentState {
		case call.StateAvailable, call.StateOffline, call.StatePaused, call.StateRinging, call.StateOnCall:
			return e.AgentState
		}
	}
	return ""
}

// idleState says a device state means "not on a call": a device that went idle after a
// call started has left it, even when the call's end has not arrived yet.
func idleState(s call.AgentStatus) bool {
	return s == call.StateAvailable || s == call.StateOffline || s == call.StatePaused
}

// agentView derives the agent as shown (presence.go has the rules).
func (b *Board) agentView(a *agentEntry) call.Agent {
	v := call.Agent{ID: a.id, Identities: []string{}, Queues: []string{}}
	idents, queues := map[string]bool{}, map[string]bool{}
	p := presenceFacts{perQueue: map[string]*call.Event{}, notes: map[string]*call.Event{}, member: map[string]bool{}}
	var name *call.Event
	var deviceAt time.Time
	for _, s := range a.sigs {
		idents[s.Agent] = true
		for _, x := range s.Aliases {
			idents[x] = true
		}
		for q := range s.Queues {
			queues[q] = true
		}
		p.global = later2(p.global, s.Presence)
		for q, e := range s.PerQueue {
			p.perQueue[q] = later2(p.perQueue[q], e)
			queues[q] = true
		}
		for q, e := range s.Notes {
			p.notes[q] = later2(p.notes[q], e)
		}
		name = later2(name, s.Name)
		if s.DeviceAt.After(deviceAt) {
			deviceAt = s.DeviceAt
		}
	}
	if d, ok := b.directory[a.id]; ok {
		v.Name = d.Name
		for _, m := range d.Match {
			idents[m] = true
		}
		for _, q := range d.Queues {
			queues[q], p.member[q] = true, true
		}
	} else {
		idents[a.id] = true
	}
	if v.Name == "" && name != nil {
		v.Name = name.AgentName
	}
	if v.Name == "" {
		v.Name = a.id[strings.IndexByte(a.id, ':')+1:]
	}
	for q := range a.queues {
		queues[q] = true
	}

	cur, curSince, curCall := b.currentCall(a, deviceAt)
	v.QueueStates = make(map[string]call.AgentStatus, len(queues))
	events := map[string]*call.Event{}
	for q := range queues {
		v.QueueStates[q], events[q] = b.queueState(p, q, cur)
	}
	state, ev := overall(cur, v.QueueStates, events, p.global)
	v.State = state
	switch {
	case cur != "":
		v.StateSince, v.Call = call.T(curSince), curCall
	case state == call.StateOffline && ev == nil:
		// nothing says since when
	default:
		v.StateSince = sinceOf(ev, a.lastEnd)
	}
	if state == call.StatePaused {
		v.PauseReason = pauseReason(p, ev)
	}
	v.Identities = append(v.Identities, sortedKeys(idents)...)
	v.Queues = append(v.Queues, sortedKeys(queues)...)
	v.PresenceUnreported = b.silentAgent(v.Identities)
	return v
}

// currentCall is the agent's latest on-call (else ringing) part that no later device
// state contradicts; ties go to the smaller call id. State "" when there is none.
func (b *Board) currentCall(a *agentEntry, deviceAt time.Time) (state call.AgentStatus, since time.Time, id string) {
	var onCall, ringing time.Time
	var onCallID, ringingID string
	for id, inv := range a.active {
		if !inv.onCall.IsZero() && !inv.onCall.Before(deviceAt) && later(inv.onCall, id, onCall, onCallID) {
			onCall, onCallID = inv.onCall, id
		}
		if !inv.ringing.IsZero() && !inv.ringing.Before(deviceAt) && later(inv.ringing, id, ringing, ringingID) {
			ringing, ringingID = inv.ringing, id
		}
	}
	switch {
	case onCallID != "":
		return call.StateOnCall, onCall, onCallID
	case ringingID != "":
		return call.StateRinging, ringing, ringingID
	}
	return "", time.Time{}, ""
}

func later(t time.Time, id string, best time.Time, bestID string) bool {
	if bestID == "" || t.After(best) {
		return true
	}
	return t.Equal(best) && id < bestID
}

func uniqueSorted(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := append([]string(nil), xs...)
	sort.Strings(out)
	n := 0
	for i, x := range out {
		if x != "" && (i == 0 || x != out[i-1]) {
			out[n] = x
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return out[:n]
}
