package live

import (
	"fmt"
	"math"
	"net/url"
	"time"

	"ringside/server/call"
)

// folded is what a call's events derive.
type folded struct {
	view          call.Call
	start, lastAt time.Time
	answered      bool
	inv           parts
}

// fold derives a call from its events (sorted by compareEvents), in named phases over
// one foldState: read each event in time order (one method per event kind), complete
// the legs from the records, settle the parties, then the times, then the call's state
// and each agent's part in it. Live events are folded in time order; records (post-call
// CDRs) then fill in with authority: a queue record (one naming a queue or legs) knows
// best who answered and after what wait, a whole-call record knows the call's parties,
// times and duration. Nothing erases a known fact.
func (b *Board) fold(id string, evs []stored) folded {
	s := &foldState{b: b, evs: evs, ansAtOf: map[string]time.Time{}}
	s.c = &s.f.view
	s.c.ID = id
	for i := range evs {
		s.read(&evs[i].ev)
	}
	s.completeLegs()
	s.settleParties()
	s.settleTimes()
	s.settleState()
	return s.f
}

// foldState is a call being folded: what its events said so far, and what the later
// phases settled.
type foldState struct {
	b   *Board
	evs []stored
	f   folded
	c   *call.Call // &f.view

	// read from the events
	live        liveFacts
	spec, whole []*call.Event // queue records (naming a queue or legs), whole-call records
	legs        legs
	monitors    legs
	refs        []string // recording references, in order
	xfers       []xfer
	lastAnswer  *legState
	ansAtOf     map[string]time.Time // agent → when they answered
	dialer      string               // the agent dialing out, while unanswered
	dialAt      time.Time

	// settled by the later phases
	recAgent        string // the agent a whole-call record names by a directory number
	answered, ended bool
	disp            call.Disposition
	ansAt, endAt    *time.Time
}

// liveFacts is what the live (non-record) events said about the call.
type liveFacts struct {
	firstAt                         time.Time
	start, ans, end, exp            *time.Time
	answered, ended                 bool
	agent, hang, expHang, rating    string
	disp                            call.Disposition
	wait, talk, dur                 *float64
	direction                       call.Direction
	from, to, did, queue, originate string
}

// read takes one event: what every event says, then what its kind says.
func (s *foldState) read(e *call.Event) {
	if e.At.After(s.f.lastAt) {
		s.f.lastAt = e.At
	}
	fill(&s.c.Source, e.Source)
	fill(&s.c.Vendor, e.Vendor)
	agent := s.b.resolve(e.Agent, e.AgentAliases)
	if e.Role == call.RoleMonitor {
		s.monitors.monitor(agent, e)
		return
	}
	s.refs = addRefs(s.refs, e.Recordings)
	s.c.Contact = mergeContact(s.c.Contact, e.Contact)
	s.c.Tags = mergeTags(s.c.Tags, e.Tags)
	if e.Type == call.CallRecord {
		if e.Queue != "" || len(e.Legs) > 0 {
			s.spec = append(s.spec, e)
		} else {
			s.whole = append(s.whole, e)
		}
		return
	}
	s.live.note(e)
	switch e.Type {
	case call.CallOffered:
		s.offered(e, agent)
	case call.LegRinging:
		if agent != "" {
			s.legs.ring(agent, at(e.StartedAt, e.At))
		}
	case call.LegEnded:
		if agent != "" {
			s.legs.end(agent, at(e.EndedAt, e.At), e.Outcome, true, true)
		}
	case call.CallAnswered:
		s.answer(e, agent)
	case call.CallEnded:
		s.hangup(e, agent)
	case call.CallExpired:
		t := at(e.EndedAt, e.At)
		s.live.exp = earliest(s.live.exp, &t)
		fill(&s.live.expHang, e.HangupReason)
	case call.AgentState, call.AgentPaused, call.AgentLogout:
		s.agentState(e, agent)
	case call.CallTransferred:
		s.transfer(e, agent)
	case call.TransferCancelled:
		s.cancelTransfer(e)
	case call.CallRated:
		if e.Rating != "" {
			s.live.rating = e.Rating
		}
	}
}

// note keeps the parties and start a live event names (the first one to name each).
func (l *liveFacts) note(e *call.Event) {
	if l.firstAt.IsZero() {
		l.firstAt = e.At
	}
	fill(&l.direction, e.Direction)
	fill(&l.from, e.From)
	fill(&l.to, e.To)
	fill(&l.did, e.DID)
	fill(&l.queue, e.Queue)
	fill(&l.originate, e.OriginateID)
	l.start = earliest(l.start, e.StartedAt)
}

func (s *foldState) offered(e *call.Event, agent string) {
	s.live.start = earliest(s.live.start, &e.At)
	if agent != "" && e.Direction == call.Outbound && (s.dialer == "" || e.At.Before(s.dialAt)) {
		s.dialer, s.dialAt = agent, e.At // the agent placing the call
	}
}

func (s *foldState) answer(e *call.Event, agent string) {
	s.live.answered = true
	t := at(e.AnsweredAt, e.At)
	s.live.ans = earliest(s.live.ans, &t)
	if agent != "" {
		s.live.agent, s.ansAtOf[agent] = agent, t
		s.lastAnswer = s.legs.answer(agent, t)
	}
}

func (s *foldState) hangup(e *call.Event, agent string) {
	l := &s.live
	l.ended = true
	t := at(e.EndedAt, e.At)
	l.end = earliest(l.end, &t)
	fill(&l.disp, e.Disposition)
	fill(&l.hang, e.HangupReason)
	l.wait, l.talk, l.dur = or(l.wait, e.WaitS), or(l.talk, e.TalkS), or(l.dur, e.DurationS)
	if agent == "" {
		return
	}
	if l.answered && len(s.xfers) > 0 && s.legs.last(agent) == nil {
		// the target of a transfer hangs up: it held the call since the transfer
		s.legs.answer(agent, s.xfers[len(s.xfers)-1].At)
	}
	s.legs.end(agent, t, e.Outcome, e.Outcome != "", true)
}

func (s *foldState) agentState(e *call.Event, agent string) {
	if agent == "" {
		return
	}
	if e.AgentState == call.StateOnCall && e.Direction == call.Outbound && s.dialer == "" {
		s.dialer, s.dialAt = agent, e.At // Simotel: InUse while dialing out
	}
	// The agent's device left the call (Simotel Idle): its leg is over.
	if e.Type != call.AgentState || idleState(e.AgentState) {
		s.legs.end(agent, e.At, "", false, false)
	}
}

// transfer: the transferring agent (named, else whoever answered last) leaves the call.
func (s *foldState) transfer(e *call.Event, agent string) {
	x := xfer{Transfer: call.Transfer{From: e.TransferFrom, To: e.TransferTo, At: e.At}, leg: s.lastAnswer}
	if agent != "" {
		x.leg = s.legs.lastAnswered(agent)
	}
	if x.leg != nil && x.leg.open {
		x.leg.open, x.leg.EndedAt = false, call.T(e.At)
	} else {
		x.leg = nil
	}
	s.xfers = append(s.xfers, x)
}

// cancelTransfer: the transfer did not happen: forget it, and give back the leg it ended.
func (s *foldState) cancelTransfer(e *call.Event) {
	for i := len(s.xfers) - 1; i >= 0; i-- {
		x := s.xfers[i]
		if (e.TransferFrom == "" || x.From == e.TransferFrom) && (e.TransferTo == "" || x.To == e.TransferTo) {
			if l := x.leg; l != nil && !l.open && !l.stated && l.EndedAt != nil && l.EndedAt.Equal(x.At) {
				l.open, l.EndedAt = true, nil
			}
			s.xfers = append(s.xfers[:i:i], s.xfers[i+1:]...)
			return
		}
	}
}

// completeLegs: records' legs are the vendor's final word on each attempt: the n-th
// record leg of an agent completes that agent's n-th live leg.
func (s *foldState) completeLegs() {
	for _, x := range s.xfers {
		s.c.Transfers = append(s.c.Transfers, x.Transfer)
	}
	for _, e := range s.spec {
		seen := map[string]int{}
		for _, rl := range e.Legs {
			agent := s.b.resolve(rl.Agent, nil)
			if agent == "" {
				continue
			}
			l := s.legs.nth(agent, seen[agent])
			seen[agent]++
			if l == nil {
				// An attempt only the record knows of is over; its unknown times stay unknown.
				l = &legState{Leg: call.Leg{Agent: agent}, stated: true}
				if !s.legs.add(l) {
					continue
				}
			}
			l.inferred = false
			fill(&l.Name, rl.Name)
			l.StartedAt = or(l.StartedAt, rl.StartedAt)
			if rl.EndedAt != nil {
				l.EndedAt, l.open = rl.EndedAt, false
			}
			if rl.Outcome != "" {
				l.Outcome, l.answered = rl.Outcome, rl.Outcome == call.OutcomeAnswer
			}
			l.TalkS = or(rl.TalkS, l.TalkS)
		}
	}
}

// settleParties: whether the call was answered and ended, and who and what it was
// between: a record's word, else the live one.
func (s *foldState) settleParties() {
	c, l := s.c, &s.live
	s.whole, s.recAgent = s.b.recordParties(s.whole)
	spec, whole := s.spec, s.whole
	s.ended = l.ended || l.exp != nil || len(spec)+len(whole) > 0
	s.disp = str(func(e *call.Event) call.Disposition { return e.Disposition }, l.disp, spec, whole)
	s.answered = l.answered || s.disp == call.Answered
	s.f.answered = s.answered

	c.Direction = str(func(e *call.Event) call.Direction { return e.Direction }, l.direction, whole, spec)
	c.From = str(func(e *call.Event) string { return e.From }, l.from, whole, spec)
	c.To = str(func(e *call.Event) string { return e.To }, l.to, whole, spec)
	c.DID = str(func(e *call.Event) string { return e.DID }, l.did, whole, spec)
	c.OriginateID = str(func(e *call.Event) string { return e.OriginateID }, l.originate, whole, spec)
	c.Queue = str(func(e *call.Event) string { return e.Queue }, l.queue, spec, whole)
	if c.Queue == "" && c.Direction != call.Outbound {
		c.Queue = s.b.entryQueue(c.Source, c.DID)
	}
	c.HangupReason = str(func(e *call.Event) string { return e.HangupReason }, l.hang, whole, spec)
	if c.HangupReason == "" && !l.ended && len(spec)+len(whole) == 0 {
		c.HangupReason = l.expHang
	}
	c.Rating = l.rating
	if c.Rating == "" {
		c.Rating = str(func(e *call.Event) string { return e.Rating }, "", whole, spec)
	}
	if s.answered {
		c.Agent = str(func(e *call.Event) string { return s.b.resolve(e.Agent, e.AgentAliases) }, l.agent, spec, whole)
		fill(&c.Agent, s.recAgent)
	}
}

// settleTimes: times and durations: a record's value, else the live one, else derived.
func (s *foldState) settleTimes() {
	l, spec, whole := &s.live, s.spec, s.whole
	start := or(pick(nil, func(e *call.Event) *time.Time { return e.StartedAt }, whole, spec), l.start)
	recEnd := pick(nil, func(e *call.Event) *time.Time { return e.EndedAt }, whole, spec)
	dur := or(pick(nil, func(e *call.Event) *float64 { return e.DurationS }, whole, spec), l.dur)
	if start == nil && s.ended && dur != nil { // known only from its end: it began duration earlier
		if end := or(or(recEnd, l.end), l.exp); end != nil {
			start = call.T(end.Add(-seconds(*dur)))
		}
	}
	if start == nil && !l.firstAt.IsZero() {
		start = call.T(l.firstAt)
	}
	wait := or(pick(nil, func(e *call.Event) *float64 { return e.WaitS }, spec, whole), l.wait)
	talk := or(pick(nil, func(e *call.Event) *float64 { return e.TalkS }, spec, whole), l.talk)
	if s.answered {
		s.ansAt = or(pick(nil, func(e *call.Event) *time.Time { return e.AnsweredAt }, spec, whole), l.ans)
		if s.ansAt == nil && start != nil && wait != nil {
			s.ansAt = call.T(start.Add(seconds(*wait)))
		}
	}
	if s.ended {
		s.endAt = or(or(recEnd, l.end), l.exp)
		if s.endAt == nil && start != nil && dur != nil {
			s.endAt = call.T(start.Add(seconds(*dur)))
		}
		if s.endAt == nil { // a record without times ended no later than we heard of it
			s.endAt = call.T(s.f.lastAt)
		}
	}
	s.c.StartedAt, s.c.AnsweredAt, s.c.EndedAt = start, s.ansAt, s.endAt
	s.c.WaitS, s.c.TalkS, s.c.DurationS = s.derive(start, wait, talk, dur)
}

// derive fills the wait, talk and duration no event stated from the call's times.
func (s *foldState) derive(start *time.Time, wait, talk, dur *float64) (*float64, *float64, *float64) {
	if wait == nil && start != nil {
		switch {
		case s.ansAt != nil:
			wait = since(*start, *s.ansAt)
		case s.ended && !s.answered && s.endAt != nil:
			wait = since(*start, *s.endAt)
		}
	}
	if talk == nil && s.ended {
		switch {
		case !s.answered:
			talk = call.F(0)
		case s.ansAt != nil && s.endAt != nil:
			talk = since(*s.ansAt, *s.endAt)
		}
	}
	if dur == nil && s.ended && start != nil && s.endAt != nil {
		dur = since(*start, *s.endAt)
	}
	return wait, talk, dur
}

// settleState: the disposition, the legs and each agent's part, transfers, the state,
// recordings and the time the call sorts by.
func (s *foldState) settleState() {
	c := s.c
	switch {
	case s.answered:
		c.Disposition = call.Answered
	case s.ended && s.disp != "":
		c.Disposition = s.disp
	case s.ended:
		c.Disposition = call.Missed
	}
	s.f.inv = s.b.finishLegs(c, s.legs, s.answered, s.ended, s.ansAt, s.endAt, s.ansAtOf)
	finishMonitors(c, s.monitors, s.ended, s.endAt)
	identities := func() map[string]string { return s.b.callIdentities(s.evs, c.Legs) } // only for a call with transfers
	c.Transfers = s.b.recordTransfers(c.Source, c.Transfers, identities, s.spec, s.whole)
	if s.dialer != "" && !s.answered && !s.ended { // dialing out is being on the call
		p, ok := s.f.inv.get(s.dialer)
		if !ok {
			p = involvement{queue: c.Queue}
		}
		p.onCall = s.dialAt
		s.f.inv.set(s.dialer, p)
	}
	switch {
	case s.ended:
		c.State = call.StateEnded
	case s.answered:
		c.State = call.StateAnswered
	case len(c.Ringing) > 0 || c.Direction == call.Outbound:
		c.State = call.StateRinging
	default:
		c.State = call.StateQueued
	}
	for i, r := range s.refs {
		c.Recordings = append(c.Recordings, call.Recording{URL: fmt.Sprintf("/recordings/%s/%d", url.PathEscape(c.ID), i), Ref: r})
	}
	s.f.start = s.f.lastAt
	if c.StartedAt != nil {
		s.f.start = *c.StartedAt
	} else if !s.live.firstAt.IsZero() {
		s.f.start = s.live.firstAt
	}
}

// str is the records' value (see pick), else the live one.
func str[S ~string](get func(*call.Event) S, live S, groups ...[]*call.Event) S {
	if v := pick("", get, groups...); v != "" {
		return v
	}
	return live
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// pick returns the last non-zero value get gives in the first group that has one.
func pick[T comparable](zero T, get func(*call.Event) T, groups ...[]*call.Event) T {
	for _, g := range groups {
		for i := len(g) - 1; i >= 0; i-- {
			if v := get(g[i]); v != zero {
				return v
			}
		}
	}
	return zero
}

func fill[S ~string](dst *S, v S) {
	if *dst == "" {
		*dst = v
	}
}

func or[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

func at(t *time.Time, def time.Time) time.Time {
	if t != nil {
		return *t
	}
	return def
}

func earliest(cur, t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return cur
	}
	if cur == nil || t.Before(*cur) {
		return call.T(*t)
	}
	return cur
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s*1000)) * time.Millisecond }

// since is the seconds from a to b (never negative: vendor clocks disagree).
func since(a, b time.Time) *float64 {
	d := b.Sub(a)
	if d < 0 {
		d = 0
	}
	return call.F(math.Round(d.Seconds()*1000) / 1000)
}

func addRefs(refs, add []string) []string {
	for _, r := range add {
		if len(refs) >= maxRecordings {
			break
		}
		if r != "" && !contains(refs, r) {
			refs = append(refs, r)
		}
	}
	return refs
}

func mergeContact(cur, add *call.Contact) *call.Contact {
	if add == nil {
		return cur
	}
	out := call.Contact{}
	if cur != nil {
		out = *cur
	}
	fill2 := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	fill2(&out.Name, add.Name)
	fill2(&out.Company, add.Company)
	fill2(&out.Email, add.Email)
	fill2(&out.CRMID, add.CRMID)
	fill2(&out.Phone, add.Phone)
	if out == (call.Contact{}) {
		return cur
	}
	return &out
}

func mergeTags(cur, add map[string]string) map[string]string {
	if len(add) == 0 {
		return cur
	}
	out := make(map[string]string, len(cur)+len(add))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}
