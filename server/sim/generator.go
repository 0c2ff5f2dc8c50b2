package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"ringside/server/call"
)

// Options tune a Generator; the zero value is a sensible default.
type Options struct {
	AgentsPerSource int // default 6
	// Speed compresses time: every duration of a story (ringing, talk, patience, pauses)
	// is divided by it, so calls are shorter and agents take more of them, while vendor
	// timestamps stay consistent with the clock. 0 means 1 (real time).
	Speed float64
}

// Generator is a seeded, deterministic stream of stories over its sources: the same
// seed, sources and start times give the same stories. It keeps each agent's state
// (logged in, paused, on a call until when), so an agent on a call is busy for the
// next caller, a paused agent is not offered calls and pauses end. Agents of vendors
// that report logins start logged out and log in first. Not safe for concurrent use.
type Generator struct {
	r     *rand.Rand
	sites []*site
	seq   int
	speed float64
}

type site struct {
	src       Source
	vendor    string
	loc       locale
	agents    []Agent
	st        []agentState
	queues    []queueDef
	customers []customer
}

type queueDef struct {
	name, did string
	members   []int // agent indexes
}

type customer struct {
	number  string
	contact *Contact
}

type agentState struct {
	loggedIn, paused bool
	queues           int       // how many of its login queues it is logged into (in order)
	until            time.Time // when a pause or a logout ends
	busyUntil        time.Time // on a call (and its wrap-up) until
}

// NewGenerator makes a generator over the sources; sources the simulator cannot play
// (see Source.Check) are skipped.
func NewGenerator(seed uint64, sources []Source, opt Options) *Generator {
	if opt.AgentsPerSource <= 0 {
		opt.AgentsPerSource = 6
	}
	if opt.Speed <= 0 {
		opt.Speed = 1
	}
	g := &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), speed: opt.Speed}
	g.seq = 100 + g.r.IntN(900)
	for _, src := range sources {
		if src.Check() != nil {
			continue
		}
		vendor := strings.ToLower(src.Vendor)
		s := &site{src: src, vendor: vendor, loc: locales[vendor]}
		for i := range opt.AgentsPerSource {
			name := s.loc.names[i%len(s.loc.names)]
			if i >= len(s.loc.names) {
				name += fmt.Sprint(" ", i/len(s.loc.names)+1)
			}
			s.agents = append(s.agents, s.loc.agent(g.r, i, name))
			s.st = append(s.st, agentState{loggedIn: !s.loc.agentEvs})
		}
		all := make([]int, len(s.agents))
		for i := range all {
			all[i] = i
		}
		for qi, q := range s.loc.queues {
			members := all
			if qi > 0 { // the second queue is staffed by half the agents
				members = all[:max(1, len(all)/2)]
			}
			s.queues = append(s.queues, queueDef{name: q[0], did: q[1], members: members})
		}
		for range 30 {
			c := customer{number: s.loc.caller(g.r)}
			if g.r.IntN(10) < 7 {
				c.contact = newContact(g.r)
			}
			s.customers = append(s.customers, c)
		}
		g.sites = append(g.sites, s)
	}
	return g
}

// Sources are the sources the generator plays.
func (g *Generator) Sources() []Source {
	out := make([]Source, len(g.sites))
	for i, s := range g.sites {
		out[i] = s.src
	}
	return out
}

// QueueInfo is one simulated queue: its name, the number callers dial, its members.
type QueueInfo struct {
	Name, DID string
	Members   []Agent
}

// Queues are the queues of a source.
func (g *Generator) Queues(source string) []QueueInfo {
	for _, s := range g.sites {
		if s.src.Name != source {
			continue
		}
		var out []QueueInfo
		for _, q := range s.queues {
			qi := QueueInfo{Name: q.name, DID: q.did}
			for _, i := range q.members {
				qi.Members = append(qi.Members, s.agents[i])
			}
			out = append(out, qi)
		}
		return out
	}
	return nil
}

// Agents are the agents of a source.
func (g *Generator) Agents(source string) []Agent {
	for _, s := range g.sites {
		if s.src.Name == source {
			return slices.Clone(s.agents)
		}
	}
	return nil
}

// story kinds chosen at random, with their weights: mostly answered queue calls.
var kindWeights = []struct {
	k Kind
	w int
}{{QueueAnswered, 56}, {Missed, 10}, {AllBusy, 3}, {Transfer, 6}, {Outbound, 14}, {RecordOnly, 2}, {AgentPause, 6}, {AgentLogout, 1}}

// Next returns the next story, starting at start (times only move forward: pass
// non-decreasing starts). Due agent actions (the first logins, the end of a pause or
// of a logout) come first.
func (g *Generator) Next(start time.Time) Story {
	start = start.Truncate(time.Millisecond) // vendors send milliseconds at best; drops the monotonic clock
	g.seq++
	id := fmt.Sprintf("%d.%d", start.Unix(), g.seq)
	if len(g.sites) == 0 {
		return Story{Kind: RecordOnly, ID: id, Start: start}
	}
	for _, s := range g.sites {
		for i := range s.st {
			a := &s.st[i]
			switch {
			case s.loc.agentEvs && a.queues < len(s.loginQueues(i)) && !a.until.After(start):
				// one login per queue (VOIPEX logs into each queue on its own)
				st := s.agentStory(AgentLogin, i, id, start)
				st.Queue = s.loginQueues(i)[a.queues]
				a.loggedIn, a.queues = true, a.queues+1
				return st
			case a.paused && !a.until.After(start):
				a.paused = false
				return s.agentStory(AgentUnpause, i, id, start)
			}
		}
	}
	s := g.sites[g.r.IntN(len(g.sites))]
	total := 0
	for _, kw := range kindWeights {
		total += kw.w
	}
	n := g.r.IntN(total)
	kind := kindWeights[0].k
	for _, kw := range kindWeights {
		if n < kw.w {
			kind = kw.k
			break
		}
		n -= kw.w
	}
	switch kind {
	case AgentPause, AgentLogout:
		if st, ok := g.agentAction(s, kind, id, start); ok {
			return st
		}
		kind = QueueAnswered
	case Outbound:
		if st, ok := g.outbound(s, id, start); ok {
			return st
		}
		kind = QueueAnswered
	case RecordOnly:
		of := QueueAnswered
		if g.r.IntN(10) < 3 {
			of = Missed
		}
		st := g.inbound(s, of, id, start, false)
		st.Of, st.Kind = st.Kind, RecordOnly
		return st
	}
	return g.inbound(s, kind, id, start, true)
}

func (s *site) agentStory(k Kind, i int, id string, start time.Time) Story {
	return Story{Kind: k, Source: s.src.Name, ID: id, Start: start, Agent: s.agents[i], Queue: s.queueOf(i)}
}

// loginQueues are the queues agent i logs into one by one: every queue it belongs to
// where the vendor reports logins per queue (VOIPEX), else one login for all (Simotel's
// device state names no queue).
func (s *site) loginQueues(i int) []string {
	var out []string
	for _, q := range s.queues {
		if slices.Contains(q.members, i) {
			out = append(out, q.name)
		}
	}
	if s.vendor != "voipex" && len(out) > 1 {
		out = out[:1]
	}
	return out
}

// inQueue reports whether agent i is logged into queue q.
func (s *site) inQueue(i int, q string) bool {
	lq := s.loginQueues(i)
	if s.vendor != "voipex" {
		return s.st[i].loggedIn
	}
	n := slices.Index(lq, q)
	return n >= 0 && n < s.st[i].queues
}

// queueOf is the first queue agent i belongs to.
func (s *site) queueOf(i int) string {
	for _, q := range s.queues {
		if slices.Contains(q.members, i) {
			return q.name
		}
	}
	return ""
}

// nextFree is when the first of the agents idx (logged in, not paused) is free again.
func (s *site) nextFree(idx []int) (time.Time, bool) {
	var first time.Time
	for _, i := range idx {
		a := s.st[i]
		if a.loggedIn && !a.paused && (first.IsZero() || a.busyUntil.Before(first)) {
			first = a.busyUntil
		}
	}
	return first, !first.IsZero()
}

// free reports whether agent i could take a call at t.
func (s *site) free(i int, t time.Time) bool {
	a := s.st[i]
	return a.loggedIn && !a.paused && !a.busyUntil.After(t)
}

// freeAgents lists the agents of idx (all agents if nil) free at t, but skip.
func (s *site) freeAgents(idx []int, t time.Time, skip int) []int {
	var out []int
	if idx == nil {
		for i := range s.agents {
			idx = append(idx, i)
		}
	}
	for _, i := range idx {
		if i != skip && s.free(i, t) {
			out = append(out, i)
		}
	}
	return out
}

func (g *Generator) agentAction(s *site, k Kind, id string, start time.Time) (Story, bool) {
	if !s.loc.agentEvs {
		return Story{}, false
	}
	free := s.freeAgents(nil, start, -1)
	logged := 0
	for _, a := range s.st {
		if a.loggedIn {
			logged++
		}
	}
	if len(free) == 0 || (k == AgentLogout && logged <= 2) {
		return Story{}, false
	}
	i := pick(g.r, free)
	a := &s.st[i]
	st := s.agentStory(k, i, id, start)
	if k == AgentPause {
		a.paused, a.until = true, start.Add(g.dur(2*time.Minute, 15*time.Minute))
		st.PauseReason = pick(g.r, s.loc.pauses)
	} else {
		// out of the last queue it logged into; out of all when that was the only one
		a.queues--
		st.Queue = s.loginQueues(i)[a.queues]
		a.loggedIn, a.until = a.queues > 0, start.Add(g.dur(5*time.Minute, 30*time.Minute))
	}
	return st, true
}

// scale compresses a story duration by the generator's speed, to the millisecond.
func (g *Generator) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) / g.speed).Truncate(time.Millisecond)
}

// dur is a random story duration in [lo, hi), scaled.
func (g *Generator) dur(lo, hi time.Duration) time.Duration {
	return g.scale(lo + time.Duration(g.r.Int64N(int64(hi-lo))))
}

// talk is a talk time: mostly a few minutes, sometimes long.
func (g *Generator) talk() time.Duration {
	d := 20*time.Second + time.Duration(g.r.ExpFloat64()*float64(meanTalk-20*time.Second))
	return g.scale(min(d, 20*time.Minute))
}

// meanTalk is the mean talk time of answered calls; occupancy is the share of its time
// an agent is meant to spend on calls at the natural pace (Interval), with room left so
// most callers find a free agent.
const (
	meanTalk  = 120 * time.Second
	occupancy = 0.5
)

// Interval is the mean time between stories that keeps the agents of all sources at a
// natural load: most calls answered, some queueing, a few missed. Run paces stories by
// it when no rate is set.
func (g *Generator) Interval() time.Duration {
	agents := 0
	for _, s := range g.sites {
		agents += len(s.agents)
	}
	if agents == 0 {
		return time.Second
	}
	// An answered call holds an agent for its ringing, talk and wrap-up; about 3 in 4
	// stories are such calls.
	hold := meanTalk + 30*time.Second
	perStory := float64(hold) * 0.75 / (occupancy * float64(agents))
	return g.scale(time.Duration(perStory))
}

func (g *Generator) caller(s *site) (string, *Contact) {
	if g.r.IntN(2) == 0 {
		c := pick(g.r, s.customers)
		return c.number, c.contact
	}
	return s.loc.caller(g.r), nil
}

func (g *Generator) tags() map[string]string {
	t := map[string]string{}
	if g.r.IntN(10) < 3 {
		t["Support"] = pick(g.r, []string{"step1", "step2"})
	}
	if g.r.IntN(10) < 2 {
		t["Priority"] = "High"
	}
	if len(t) == 0 {
		return nil
	}
	return t
}

// recordLag: a PBX posts its records within a second, the cloud service after seconds.
func (g *Generator) recordLag(s *site) time.Duration {
	if s.vendor == "cloudcdr" {
		return g.dur(2*time.Second, 8*time.Second)
	}
	return g.dur(200*time.Millisecond, 1500*time.Millisecond)
}

// busy marks agent i on a call until the story offset end, plus a wrap-up.
func (g *Generator) busy(s *site, i int, start time.Time, end time.Duration) {
	s.st[i].busyUntil = start.Add(end + g.dur(5*time.Second, 30*time.Second))
}

func (g *Generator) outbound(s *site, id string, start time.Time) (Story, bool) {
	free := s.freeAgents(nil, start, -1)
	if len(free) == 0 {
		return Story{}, false
	}
	i := pick(g.r, free)
	st := Story{Kind: Outbound, Source: s.src.Name, ID: id, Start: start, Agent: s.agents[i], DID: s.queues[0].did}
	st.Caller, _ = g.caller(s)
	if g.r.IntN(4) > 0 {
		st.Answered, st.Answer = true, g.dur(5*time.Second, 25*time.Second)
		st.End = st.Answer + g.talk()
		st.Recorded = g.r.IntN(10) < 9
	} else {
		st.End = g.dur(20*time.Second, 40*time.Second)
	}
	st.RecordLag = g.recordLag(s)
	g.busy(s, i, start, st.End)
	return st, true
}

// inbound builds a queue call of kind (QueueAnswered, Missed, AllBusy or Transfer); with
// no free agent an answered kind becomes AllBusy (or Missed with nobody to try). commit
// records the agents' new busy times (not for a record-only story).
func (g *Generator) inbound(s *site, kind Kind, id string, start time.Time, commit bool) Story {
	q := pick(g.r, s.queues)
	st := Story{Kind: kind, Source: s.src.Name, ID: id, Start: start, Queue: q.name, DID: q.did, Tags: g.tags()}
	st.Caller, st.Contact = g.caller(s)
	st.RecordLag = g.recordLag(s)
	members := slices.Clone(q.members)
	g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	sec := g.scale(time.Second)
	t := g.dur(time.Second, 4*time.Second) // the greeting, then the queue
	// An agent logged out of this queue only is not its member now.
	members = slices.DeleteFunc(members, func(i int) bool { return !s.inQueue(i, q.name) && s.st[i].loggedIn })
	free := s.freeAgents(members, start.Add(t), -1)
	patience := g.dur(10*time.Second, 90*time.Second)
	if kind == AllBusy {
		free, patience = nil, g.dur(20*time.Second, 120*time.Second)
	}
	if len(free) == 0 && (kind == QueueAnswered || kind == Transfer) {
		// Everyone is busy: the caller waits in the queue for the first agent to be
		// free, if that comes before the caller's patience runs out.
		wait := g.dur(30*time.Second, 180*time.Second)
		if next, ok := s.nextFree(members); ok && next.Sub(start) < t+wait {
			t = max(t, next.Sub(start)+sec)
			free = s.freeAgents(members, start.Add(t), -1)
		}
	}
	if len(free) == 0 && (kind == QueueAnswered || kind == Transfer) {
		kind, st.Kind = AllBusy, AllBusy
		patience = g.dur(20*time.Second, 120*time.Second)
	}
	answerer := -1
	if kind == QueueAnswered || kind == Transfer {
		answerer = pick(g.r, free)
		if s.vendor != "voipex" && g.r.IntN(3) > 0 {
			answerer = free[0] // a linear queue: whoever is first usually takes it
		}
	}
	ringAll := s.vendor == "voipex" // VOIPEX queues ring all free agents at once
	ringing := g.dur(3*time.Second, 15*time.Second)
	for _, i := range members {
		a := s.st[i]
		if a.paused {
			continue // a paused agent is not offered calls
		}
		if i == answerer && !ringAll && ringsTwice(st) {
			st.Chain = append(st.Chain, secondRound(s.agents[i], t, sec))
			t += 16 * sec
		}
		at := Attempt{Agent: s.agents[i], Start: t}
		switch {
		case !a.loggedIn:
			at.End, at.Outcome = t+sec, call.OutcomeUnavailable
		case !slices.Contains(free, i):
			at.End, at.Outcome = t+sec, call.OutcomeBusy
		case i == answerer:
			at.End, at.Outcome = t+ringing, call.OutcomeAnswer
		case answerer >= 0 && ringAll:
			at.Outcome = call.OutcomeCancel // answered elsewhere; its end is set below
		case answerer >= 0:
			at.End, at.Outcome = t+15*sec, call.OutcomeNoAnswer
		case ringAll || t+15*sec >= patience:
			at.End, at.Outcome = max(patience, t+sec), call.OutcomeCancel // the caller hung up
		default:
			at.End, at.Outcome = t+15*sec, call.OutcomeNoAnswer
		}
		if kind == Missed && !ringAll && t >= patience {
			break // the caller is gone
		}
		st.Chain = append(st.Chain, at)
		if at.Outcome == call.OutcomeAnswer {
			st.Answered, st.Answer, st.Agent = true, at.End, s.agents[i]
			if !ringAll {
				break
			}
		}
		if !ringAll {
			t = at.End + sec
		}
	}
	if st.Answered {
		for i := range st.Chain {
			if st.Chain[i].Outcome == call.OutcomeCancel {
				st.Chain[i].End = st.Answer
			}
		}
		st.Recorded = g.r.IntN(10) < 9
		st.End = st.Answer + g.talk()
		if kind == Transfer {
			if to := s.freeAgents(nil, start.Add(st.Answer), answerer); len(to) > 0 {
				j := pick(g.r, to)
				target := s.agents[j]
				st.TransferTo = &target
				st.TransferAt = st.Answer + g.dur(15*time.Second, 90*time.Second)
				st.End = st.TransferAt + g.talk()
				if commit {
					g.busy(s, j, start, st.End)
				}
			} else {
				st.Kind = QueueAnswered
			}
		}
		g.addExtras(s, &st, answerer)
		if commit {
			end := st.End
			if st.TransferTo != nil {
				end = st.TransferAt
			}
			g.busy(s, answerer, start, end)
		}
		return st
	}
	st.End = patience
	for _, a := range st.Chain {
		st.End = max(st.End, a.End)
	}
	return st
}
