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
	inv           map[string]involvement
}

// legState is a leg while folding.
type legState struct {
	call.Leg
	open     bool // no end known yet
	stated   bool // its end was stated (LegEnded, a record), not inferred from a hangup or idle
	answered bool
	answerAt time.Time
	inferred bool // made by an answer or hangup without a ring: not an offer on outbound calls
}

type legs []*legState

func (ls legs) last(agent string) *legState {
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].Agent == agent {
			return ls[i]
		}
	}
	return nil
}

func (ls legs) nth(agent string, n int) *legState {
	for _, l := range ls {
		if l.Agent == agent {
			if n == 0 {
				return l
			}
			n--
		}
	}
	return nil
}

func (ls *legs) ring(agent string, t time.Time) {
	if l := ls.last(agent); l != nil && l.open {
		return // already ringing there: a repeat, not a new offer
	}
	ls.add(&legState{Leg: call.Leg{Agent: agent, StartedAt: call.T(t)}, open: true})
}

// xfer is a transfer and the leg it ended (of the agent it took the call from).
type xfer struct {
	call.Transfer
	leg *legState
}

func (ls legs) lastAnswered(agent string) *legState {
	for i := len(ls) - 1; i >= 0; i-- {
		if ls[i].Agent == agent && ls[i].answered {
			return ls[i]
		}
	}
	return nil
}

func (ls *legs) answer(agent string, t time.Time) *legState {
	l := ls.last(agent)
	// A new leg unless this answers the agent's current offer (or one only a hangup,
	// misordered by clocks, closed). A call transferred back is a new answer.
	if l == nil || (!l.open && l.stated && !l.answered) ||
		(!l.open && l.answered && l.EndedAt != nil && t.After(*l.EndedAt)) {
		l = &legState{Leg: call.Leg{Agent: agent, StartedAt: call.T(t)}, open: true, inferred: true}
		if !ls.add(l) {
			return l // over maxLegs: answered, but not shown as a leg
		}
	}
	if !l.answered {
		l.answered, l.answerAt = true, t
	}
	l.Outcome = call.OutcomeAnswer
	return l
}

// end closes the agent's current leg. A stated end overrides an inferred one; create
// makes a closed leg when the agent has none (a hangup whose ring we never saw).
func (ls *legs) end(agent string, t time.Time, outcome string, stated, create bool) {
	l := ls.last(agent)
	switch {
	case l != nil && (l.open || (stated && !l.stated)):
		l.open, l.stated, l.EndedAt = false, stated, call.T(t)
		if outcome != "" && !l.answered {
			l.Outcome = outcome
		}
	case l == nil && create:
		ls.add(&legState{Leg: call.Leg{Agent: agent, EndedAt: call.T(t), Outcome: outcome},
			stated: stated, inferred: !stated})
	}
}

// fold derives a call from its events (sorted by compareEvents). Live events are folded
// in time order; records (post-call CDRs) then fill in with authority: a queue record
// (one naming a queue or legs) knows best who answered and after what wait, a whole-call
// record knows the call's parties, times and duration. Nothing erases a known fact.
func (b *Board) fold(id string, evs []stored) folded {
	var (
		f                                folded
		c                                = &f.view
		ls                               legs
		spec, whole                      []*call.Event
		liveStart, liveAns, liveEnd, exp *time.Time
		firstAt                          time.Time
		answeredLive, endedLive          bool
		dialer                           string // the agent dialing out, while unanswered
		dialAt                           time.Time
		liveAgent, liveDisp, liveHang    string
		expHang, liveRating              string
		liveWait, liveTalk, liveDur      *float64
		direction, from, to, did, queue  string
		originate                        string
		ansAtOf                          = map[string]time.Time{}
		refs                             []string
		lastAnswer                       *legState
		xfers                            []xfer
		monitors                         legs
	)
	c.ID = id
	for i := range evs {
		e := &evs[i].ev
		if e.At.After(f.lastAt) {
			f.lastAt = e.At
		}
		fill(&c.Source, e.Source)
		fill(&c.Vendor, e.Vendor)
		if e.Role == call.RoleMonitor {
			monitors.monitor(b.resolve(e.Agent, e.AgentAliases), e)
			continue
		}
		refs = addRefs(refs, e.Recordings)
		c.Contact = mergeContact(c.Contact, e.Contact)
		c.Tags = mergeTags(c.Tags, e.Tags)
		if e.Type == call.CallRecord {
			if e.Queue != "" || len(e.Legs) > 0 {
				spec = append(spec, e)
			} else {
				whole = append(whole, e)
			}
			continue
		}
		if firstAt.IsZero() {
			firstAt = e.At
		}
		fill(&direction, e.Direction)
		fill(&from, e.From)
		fill(&to, e.To)
		fill(&did, e.DID)
		fill(&queue, e.Queue)
		fill(&originate, e.OriginateID)
		liveStart = earliest(liveStart, e.StartedAt)
		agent := b.resolve(e.Agent, e.AgentAliases)
		switch e.Type {
		case call.CallOffered:
			liveStart = earliest(liveStart, &e.At)
			if agent != "" && e.Direction == call.Outbound && (dialer == "" || e.At.Before(dialAt)) {
				dialer, dialAt = agent, e.At // the agent placing the call
			}
		case call.LegRinging:
			if agent != "" {
				ls.ring(agent, at(e.StartedAt, e.At))
			}
		case call.LegEnded:
			if agent != "" {
				ls.end(agent, at(e.EndedAt, e.At), e.Outcome, true, true)
			}
		case call.CallAnswered:
			answeredLive = true
			t := at(e.AnsweredAt, e.At)
			liveAns = earliest(liveAns, &t)
			if agent != "" {
				liveAgent, ansAtOf[agent] = agent, t
				lastAnswer = ls.answer(agent, t)
			}
		case call.CallEnded:
			endedLive = true
			t := at(e.EndedAt, e.At)
			liveEnd = earliest(liveEnd, &t)
			fill(&liveDisp, e.Disposition)
			fill(&liveHang, e.HangupReason)
			liveWait, liveTalk, liveDur = or(liveWait, e.WaitS), or(liveTalk, e.TalkS), or(liveDur, e.DurationS)
			if agent != "" && answeredLive && len(xfers) > 0 && ls.last(agent) == nil {
				// the target of a transfer hangs up: it held the call since the transfer
				ls.answer(agent, xfers[len(xfers)-1].At)
			}
			if agent != "" {
				ls.end(agent, t, e.Outcome, e.Outcome != "", true)
			}
		case call.CallExpired:
			t := at(e.EndedAt, e.At)
			exp = earliest(exp, &t)
			fill(&expHang, e.HangupReason)
		case call.AgentState, call.AgentPaused, call.AgentLogout:
			if e.AgentState == call.StateOnCall && e.Direction == call.Outbound && agent != "" && dialer == "" {
				dialer, dialAt = agent, e.At // Simotel: InUse while dialing out
			}
			// The agent's device left the call (Simotel Idle): its leg is over.
			if agent != "" && (e.Type != call.AgentState || idleState(e.AgentState)) {
				ls.end(agent, e.At, "", false, false)
			}
		case call.CallTransferred:
			// The transferring agent (named, else whoever answered last) leaves the call.
			x := xfer{Transfer: call.Transfer{From: e.TransferFrom, To: e.TransferTo, At: e.At}, leg: lastAnswer}
			if agent != "" {
				x.leg = ls.lastAnswered(agent)
			}
			if x.leg != nil && x.leg.open {
				x.leg.open, x.leg.EndedAt = false, call.T(e.At)
			} else {
				x.leg = nil
			}
			xfers = append(xfers, x)
		case call.TransferCancelled:
			// The transfer did not happen: forget it, and give back the leg it ended.
			for i := len(xfers) - 1; i >= 0; i-- {
				x := xfers[i]
				if (e.TransferFrom == "" || x.From == e.TransferFrom) && (e.TransferTo == "" || x.To == e.TransferTo) {
					if l := x.leg; l != nil && !l.open && !l.stated && l.EndedAt != nil && l.EndedAt.Equal(x.At) {
						l.open, l.EndedAt = true, nil
					}
					xfers = append(xfers[:i:i], xfers[i+1:]...)
					break
				}
			}
		case call.CallRated:
			if e.Rating != "" {
				liveRating = e.Rating
			}
		}
	}

	for _, x := range xfers {
		c.Transfers = append(c.Transfers, x.Transfer)
	}

	// Records' legs are the vendor's final word on each attempt: the n-th record leg of
	// an agent completes that agent's n-th live leg.
	for _, e := range spec {
		seen := map[string]int{}
		for _, rl := range e.Legs {
			agent := b.resolve(rl.Agent, nil)
			if agent == "" {
				continue
			}
			l := ls.nth(agent, seen[agent])
			seen[agent]++
			if l == nil {
				// An attempt only the record knows of is over; its unknown times stay unknown.
				l = &legState{Leg: call.Leg{Agent: agent}, stated: true}
				if !ls.add(l) {
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

	whole, recAgent := b.recordParties(whole)
	s := func(get func(*call.Event) string, live string, groups ...[]*call.Event) string {
		if v := pick("", get, groups...); v != "" {
			return v
		}
		return live
	}
	getT := func(get func(*call.Event) *time.Time, groups ...[]*call.Event) *time.Time {
		return pick(nil, get, groups...)
	}
	getF := func(get func(*call.Event) *float64, groups ...[]*call.Event) *float64 {
		return pick(nil, get, groups...)
	}

	ended := endedLive || exp != nil || len(spec)+len(whole) > 0
	disp := s(func(e *call.Event) string { return e.Disposition }, liveDisp, spec, whole)
	answered := answeredLive || disp == call.Answered
	f.answered = answered

	c.Direction = s(func(e *call.Event) string { return e.Direction }, direction, whole, spec)
	c.From = s(func(e *call.Event) string { return e.From }, from, whole, spec)
	c.To = s(func(e *call.Event) string { return e.To }, to, whole, spec)
	c.DID = s(func(e *call.Event) string { return e.DID }, did, whole, spec)
	c.OriginateID = s(func(e *call.Event) string { return e.OriginateID }, originate, whole, spec)
	c.Queue = s(func(e *call.Event) string { return e.Queue }, queue, spec, whole)
	if c.Queue == "" && c.Direction != call.Outbound {
		c.Queue = b.entryQueue(c.Source, c.DID)
	}
	c.HangupReason = s(func(e *call.Event) string { return e.HangupReason }, liveHang, whole, spec)
	if c.HangupReason == "" && !endedLive && len(spec)+len(whole) == 0 {
		c.HangupReason = expHang
	}
	c.Rating = liveRating
	if c.Rating == "" {
		c.Rating = s(func(e *call.Event) string { return e.Rating }, "", whole, spec)
	}
	if answered {
		c.Agent = s(func(e *call.Event) string { return b.resolve(e.Agent, e.AgentAliases) }, liveAgent, spec, whole)
		fill(&c.Agent, recAgent)
	}

	// Times and durations: a record's value, else the live one, else derived.
	start := getT(func(e *call.Event) *time.Time { return e.StartedAt }, whole, spec)
	start = or(start, liveStart)
	dur := or(getF(func(e *call.Event) *float64 { return e.DurationS }, whole, spec), liveDur)
	if start == nil && ended && dur != nil { // known only from its end: it began duration earlier
		if end := or(or(getT(func(e *call.Event) *time.Time { return e.EndedAt }, whole, spec), liveEnd), exp); end != nil {
			start = call.T(end.Add(-seconds(*dur)))
		}
	}
	if start == nil && !firstAt.IsZero() {
		start = call.T(firstAt)
	}
	wait := or(getF(func(e *call.Event) *float64 { return e.WaitS }, spec, whole), liveWait)
	talk := or(getF(func(e *call.Event) *float64 { return e.TalkS }, spec, whole), liveTalk)
	var ansAt, endAt *time.Time
	if answered {
		ansAt = or(getT(func(e *call.Event) *time.Time { return e.AnsweredAt }, spec, whole), liveAns)
		if ansAt == nil && start != nil && wait != nil {
			ansAt = call.T(start.Add(seconds(*wait)))
		}
	}
	if ended {
		endAt = or(or(getT(func(e *call.Event) *time.Time { return e.EndedAt }, whole, spec), liveEnd), exp)
		if endAt == nil && start != nil && dur != nil {
			endAt = call.T(start.Add(seconds(*dur)))
		}
		if endAt == nil { // a record without times ended no later than we heard of it
			endAt = call.T(f.lastAt)
		}
	}
	if wait == nil && start != nil {
		switch {
		case ansAt != nil:
			wait = since(*start, *ansAt)
		case ended && !answered && endAt != nil:
			wait = since(*start, *endAt)
		}
	}
	if talk == nil && ended {
		switch {
		case !answered:
			talk = call.F(0)
		case ansAt != nil && endAt != nil:
			talk = since(*ansAt, *endAt)
		}
	}
	if dur == nil && ended && start != nil && endAt != nil {
		dur = since(*start, *endAt)
	}
	c.StartedAt, c.AnsweredAt, c.EndedAt = start, ansAt, endAt
	c.WaitS, c.TalkS, c.DurationS = wait, talk, dur
	switch {
	case answered:
		c.Disposition = call.Answered
	case ended && disp != "":
		c.Disposition = disp
	case ended:
		c.Disposition = call.Missed
	}

	f.inv = b.finishLegs(c, ls, answered, ended, ansAt, endAt, ansAtOf)
	finishMonitors(c, monitors, ended, endAt)
	c.Transfers = b.recordTransfers(c.Source, c.Transfers, b.callIdentities(evs, c.Legs), spec, whole)
	if dialer != "" && !answered && !ended { // dialing out is being on the call
		p, ok := f.inv[dialer]
		if !ok {
			p = involvement{queue: c.Queue}
		}
		p.onCall = dialAt
		f.inv[dialer] = p
	}

	switch {
	case ended:
		c.State = call.StateEnded
	case answered:
		c.State = call.StateAnswered
	case len(c.Ringing) > 0 || c.Direction == call.Outbound:
		c.State = call.StateRinging
	default:
		c.State = call.StateQueued
	}
	for i, r := range refs {
		c.Recordings = append(c.Recordings, call.Recording{URL: fmt.Sprintf("/recordings/%s/%d", url.PathEscape(id), i), Ref: r})
	}
	f.start = f.lastAt
	if c.StartedAt != nil {
		f.start = *c.StartedAt
	} else if !firstAt.IsZero() {
		f.start = firstAt
	}
	return f
}

// finishLegs closes what the call's end or answer closed, fills outcomes, sets Legs and
// Ringing, and returns each agent's part in the call.
func (b *Board) finishLegs(c *call.Call, ls legs, answered, ended bool, ansAt, endAt *time.Time, ansAtOf map[string]time.Time) map[string]involvement {
	inv := map[string]involvement{}
	var answerLeg *legState
	for _, l := range ls {
		if l.inferred && c.Direction == call.Outbound {
			continue // the agent placed this call; nobody offered it to them
		}
		leg := l.Leg
		// Other phones stop ringing when someone answers; rings that started later
		// (a transfer) still ring.
		cancelled := answered && !l.answered && (leg.StartedAt == nil || ansAt == nil || !leg.StartedAt.After(*ansAt))
		open := l.open && !ended && !cancelled
		if l.open && !open {
			if ended {
				leg.EndedAt = endAt
			} else {
				leg.EndedAt = ansAt
			}
		}
		if leg.Outcome == "" && !open {
			switch {
			case l.answered:
				leg.Outcome = call.OutcomeAnswer
			case answered && (leg.EndedAt == nil || ansAt == nil || !leg.EndedAt.Before(*ansAt)):
				leg.Outcome = call.OutcomeCancel
			default:
				leg.Outcome = call.OutcomeNoAnswer
			}
		}
		if l.answered && leg.TalkS == nil && !open && leg.EndedAt != nil && !l.answerAt.IsZero() {
			leg.TalkS = since(l.answerAt, *leg.EndedAt)
		}
		leg.Role = call.RoleAgent
		c.Legs = append(c.Legs, leg)

		p, ok := inv[leg.Agent]
		if !ok {
			p = involvement{queue: c.Queue}
		}
		switch {
		case open && !l.answered:
			if !contains(c.Ringing, leg.Agent) {
				c.Ringing = append(c.Ringing, leg.Agent)
			}
			if leg.StartedAt != nil && leg.StartedAt.After(p.ringing) {
				p.ringing = *leg.StartedAt
			}
		case !open && leg.EndedAt != nil && leg.EndedAt.After(p.end):
			p.end = *leg.EndedAt
		}
		inv[leg.Agent] = p
		if l.answered && leg.Agent == c.Agent {
			answerLeg = l
		}
	}
	if c.Agent != "" {
		p, ok := inv[c.Agent]
		if !ok {
			p = involvement{queue: c.Queue}
		}
		switch {
		case ended:
			if endAt != nil && endAt.After(p.end) {
				p.end = *endAt
			}
		case answerLeg == nil || answerLeg.open:
			p.onCall = ansAtOf[c.Agent]
			if answerLeg != nil {
				p.onCall = answerLeg.answerAt
			}
			if p.onCall.IsZero() && ansAt != nil {
				p.onCall = *ansAt
			}
		}
		inv[c.Agent] = p
	}
	return inv
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

func fill(dst *string, v string) {
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
