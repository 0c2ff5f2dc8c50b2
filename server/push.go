package server

import (
	"slices"
	"sync"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/views"
)

// push turns the board's changes into fragments for the hub's topics. It runs on the
// board goroutine after each applied batch; render funcs run later on the hub's
// goroutine and read the board then, so a burst renders only its latest state.
func (s *Server) push(changes []live.Change) {
	h := s.hub
	wall := h.HasSubscribers("wallboard")
	summary := false
	for _, ch := range changes {
		switch ch.Kind {
		case live.KindCall:
			id := ch.ID
			var cl call.Call
			var ok bool
			s.board.read(func(b *live.Board) { cl, ok = b.Call(id) })
			if !ok {
				continue
			}
			if wall {
				h.Publish("wallboard", "call:"+id, func() []byte { return s.callRowFrame(id) })
			}
			if t := "call:" + id; h.HasSubscribers(t) {
				h.Publish(t, "card", func() []byte { return s.callCardFrame(id) })
			}
			if ch.Ring != "" { // a screen-pop goes out at once, not coalesced
				if t := "agent:" + ch.Ring; h.HasSubscribers(t) {
					h.PublishNow(t, frame(views.PopCard(s.localNow(), cl, s.history(cl), s.names())))
				}
			}
			for _, a := range involved(cl) {
				if t := "agent:" + a; a != ch.Ring && h.HasSubscribers(t) {
					h.Publish(t, "pop:"+id, func() []byte { return s.popUpdateFrame(id) })
				}
			}
			if ch.Ended {
				if h.HasSubscribers("cdrs") {
					h.Publish("cdrs", "cdr:"+id, func() []byte { return frame(views.CDRRow(s.localNow(), cl, s.names())) })
				}
				if cl.Agent != "" && h.HasSubscribers("agent:"+cl.Agent) {
					h.Publish("agent:"+cl.Agent, "recent:"+id, func() []byte { return frame(views.RecentRow(s.localNow(), cl)) })
				}
				switch num := otherParty(cl); {
				case cl.Disposition == call.Missed && cl.Direction == call.Inbound && cl.From != "":
					s.listed.add(cl.From)
					if h.HasSubscribers("callbacks") {
						h.Publish("callbacks", "abandoned:"+cl.From, func() []byte { return frame(views.AbandonedRow(s.localNow(), cl)) })
					}
				case cl.Disposition == call.Answered && num != "" && s.listed.remove(num): // reached: off the list
					if h.HasSubscribers("callbacks") {
						h.Publish("callbacks", "abandoned:"+num, func() []byte { return frame(views.AbandonedGone(num)) })
					}
				}
				if wall {
					h.Publish("wallboard", "chart", func() []byte {
						return frame(views.ChartSVG(s.hours.get(s.localNow()), s.thresholds()))
					})
				}
			}
		case live.KindAgent:
			id := ch.ID
			if wall {
				h.Publish("wallboard", "agent:"+id, func() []byte { return s.agentRowFrame(id) })
				summary = true
			}
			if t := "agent:" + id; h.HasSubscribers(t) {
				h.Publish(t, "me", func() []byte {
					var a call.Agent
					s.board.read(func(b *live.Board) { a, _ = b.Agent(id) })
					return frame(views.AgentMe(s.localNow(), a))
				})
			}
		case live.KindQueue:
			id := ch.ID
			if wall {
				h.Publish("wallboard", "queue:"+id, func() []byte { return s.queueTileFrame(id) })
				summary = true
			}
		}
	}
	if summary {
		h.Publish("wallboard", "summary", func() []byte { return frame(views.Summary(s.wallboardSummaryData())) })
	}
}

// involved lists the agents a call concerns: the answering one, those ringing, its legs.
func involved(c call.Call) []string {
	out := slices.Clone(c.Ringing)
	if c.Agent != "" {
		out = append(out, c.Agent)
	}
	for _, l := range c.Legs {
		out = append(out, l.Agent)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (s *Server) callRowFrame(id string) []byte {
	var cl call.Call
	var ok bool
	s.board.read(func(b *live.Board) { cl, ok = b.Call(id) })
	if !ok || cl.State == call.StateEnded {
		return frame(views.CallRowGone(id))
	}
	return frame(views.CallRow(s.localNow(), cl, s.names()))
}

func (s *Server) popUpdateFrame(id string) []byte {
	var cl call.Call
	var ok bool
	s.board.read(func(b *live.Board) { cl, ok = b.Call(id) })
	if !ok {
		return nil
	}
	return frame(views.PopCardUpdate(s.localNow(), cl, s.history(cl), s.names()))
}

func (s *Server) agentRowFrame(id string) []byte {
	var a call.Agent
	var cur *call.Call
	var ok bool
	s.board.read(func(b *live.Board) {
		if a, ok = b.Agent(id); ok && a.Call != "" {
			if c, found := b.Call(a.Call); found {
				cur = &c
			}
		}
	})
	if !ok {
		return nil
	}
	return frame(views.AgentRow(s.localNow(), a, cur))
}

func (s *Server) queueTileFrame(id string) []byte {
	now := s.localNow()
	var q *call.Queue
	s.board.read(func(b *live.Board) {
		for _, x := range b.Queues(now) {
			if x.ID == id {
				q = &x
				break
			}
		}
	})
	if q == nil {
		return frame(views.QueueTileGone(id))
	}
	return frame(views.QueueTile(now, *q, s.thresholds()))
}

// wallboardSummaryData is the part of the wallboard the summary strip reads.
func (s *Server) wallboardSummaryData() views.WallboardData {
	now := s.localNow()
	d := views.WallboardData{Now: now, Thresholds: s.thresholds()}
	s.board.read(func(b *live.Board) { d.Queues, d.Agents = b.Queues(now), b.Agents() })
	d.Total = live.Pool(d.Queues)
	return d
}

// otherParty is the customer's number of a call.
func otherParty(c call.Call) string {
	if c.Direction == call.Outbound {
		return c.To
	}
	return c.From
}

// callbackList is the numbers pages may show as callers to call back, so that a
// reached caller is taken off the pages without telling every page about every
// answered call (the callbacks topic reaches every agent's and wallboard's socket).
type callbackList struct {
	mu   sync.Mutex
	nums map[string]bool
}

// maxListed bounds the set; past it, it starts over (a reached caller from before then
// stays on open pages until they reload).
const maxListed = 50_000

func (l *callbackList) add(nums ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nums == nil || len(l.nums) >= maxListed {
		l.nums = map[string]bool{}
	}
	for _, n := range nums {
		l.nums[n] = true
	}
}

// remove takes a number off and says whether it was listed.
func (l *callbackList) remove(num string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.nums[num] {
		return false
	}
	delete(l.nums, num)
	return true
}
