package server

import (
	"slices"

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
	var callbacks []*live.Audience
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
					h.PublishNow(t, frame(views.PopCard(s.localNow(), s.playable(cl), s.history(cl), s.names())))
				}
			}
			for _, a := range involved(cl) {
				if t := "agent:" + a; a != ch.Ring && h.HasSubscribers(t) {
					h.Publish(t, "pop:"+id, func() []byte { return s.popUpdateFrame(id) })
				}
			}
			if ch.Ended {
				if h.HasSubscribers("cdrs") {
					h.Publish("cdrs", "cdr:"+id, func() []byte { return frame(views.CDRRow(s.localNow(), s.playable(cl), s.names())) })
				}
				if cl.Agent != "" && h.HasSubscribers("agent:"+cl.Agent) {
					h.Publish("agent:"+cl.Agent, "recent:"+id, func() []byte { return frame(views.RecentRow(s.localNow(), s.playable(cl))) })
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
				s.pushAgentCallbacks(id) // their queues may have changed
				h.Publish(t, "me", func() []byte {
					var a call.Agent
					s.board.read(func(b *live.Board) { a, _ = b.Agent(id) })
					return frame(views.AgentMe(s.localNow(), a))
				})
			}
		case live.KindCallback:
			callbacks = append(callbacks, ch.Audience)
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
	if len(callbacks) > 0 {
		s.pushCallbacks(mergeAudiences(callbacks))
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
	return frame(views.PopCardUpdate(s.localNow(), s.playable(cl), s.history(cl), s.names()))
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
