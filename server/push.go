package server

import (
	"context"
	"slices"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/views"
)

// push turns the board's changes into fragments for the hub's topics. It runs on the
// board goroutine after each applied batch; render funcs run later on the hub's
// goroutine and read the board then, so a burst renders only its latest state.
func (s *Server) push(changes []live.Change) {
	wall := s.has("wallboard")
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
				s.publish("wallboard", "call:"+id, func(ctx context.Context) []byte { return s.callRowFrame(ctx, id) })
			}
			if t := "call:" + id; s.has(t) {
				s.publish(t, "card", func(ctx context.Context) []byte { return s.callCardFrame(ctx, id) })
			}
			if ch.Ring != "" { // a screen-pop goes out at once, not coalesced
				if t := "agent:" + ch.Ring; s.has(t) {
					hist := s.history(cl)
					s.publishNow(t, func(ctx context.Context) []byte {
						return frame(ctx, views.PopCard(s.nowIn(ctx), s.playable(cl), hist, s.names()))
					})
				}
			}
			for _, a := range involved(cl) {
				if t := "agent:" + a; a != ch.Ring && s.has(t) {
					s.publish(t, "pop:"+id, func(ctx context.Context) []byte { return s.popUpdateFrame(ctx, id) })
				}
			}
			if ch.Ended {
				if s.has("cdrs") {
					s.publish("cdrs", "cdr:"+id, func(ctx context.Context) []byte {
						return frame(ctx, views.CDRRow(s.nowIn(ctx), s.playable(cl), s.names()))
					})
				}
				if cl.Agent != "" && s.has("agent:"+cl.Agent) {
					s.publish("agent:"+cl.Agent, "recent:"+id, func(ctx context.Context) []byte { return frame(ctx, views.RecentRow(s.nowIn(ctx), s.playable(cl))) })
				}
				if wall {
					s.publish("wallboard", "chart", func(ctx context.Context) []byte {
						return frame(ctx, views.ChartSVG(s.hours.get(s.localNow()), s.thresholds()))
					})
				}
			}
		case live.KindAgent:
			id := ch.ID
			if wall {
				s.publish("wallboard", "agent:"+id, func(ctx context.Context) []byte { return s.agentRowFrame(ctx, id) })
				summary = true
			}
			if t := "agent:" + id; s.has(t) {
				s.pushAgentCallbacks(id) // their queues may have changed
				s.pushAgentVoicemails(id)
				s.publish(t, "me", func(ctx context.Context) []byte {
					var a call.Agent
					s.board.read(func(b *live.Board) { a, _ = b.Agent(id) })
					return frame(ctx, views.AgentMe(s.nowIn(ctx), a))
				})
			}
		case live.KindCallback:
			callbacks = append(callbacks, ch.Audience)
		case live.KindVoicemail:
			s.pushVoicemail(ch.ID)
		case live.KindQueue:
			id := ch.ID
			if wall {
				s.publish("wallboard", "queue:"+id, func(ctx context.Context) []byte { return s.queueTileFrame(ctx, id) })
				summary = true
			}
		}
	}
	if summary {
		s.publish("wallboard", "summary", func(ctx context.Context) []byte { return frame(ctx, views.Summary(s.wallboardSummaryData(ctx))) })
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

func (s *Server) callRowFrame(ctx context.Context, id string) []byte {
	var cl call.Call
	var ok bool
	s.board.read(func(b *live.Board) { cl, ok = b.Call(id) })
	if !ok || cl.State == call.StateEnded {
		return frame(ctx, views.CallRowGone(id))
	}
	return frame(ctx, views.CallRow(s.nowIn(ctx), cl, s.names()))
}

func (s *Server) popUpdateFrame(ctx context.Context, id string) []byte {
	var cl call.Call
	var ok bool
	s.board.read(func(b *live.Board) { cl, ok = b.Call(id) })
	if !ok {
		return nil
	}
	return frame(ctx, views.PopCardUpdate(s.nowIn(ctx), s.playable(cl), s.history(cl), s.names()))
}

func (s *Server) agentRowFrame(ctx context.Context, id string) []byte {
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
	return frame(ctx, views.AgentRow(s.nowIn(ctx), a, cur))
}

func (s *Server) queueTileFrame(ctx context.Context, id string) []byte {
	now := s.nowIn(ctx)
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
		return frame(ctx, views.QueueTileGone(id))
	}
	return frame(ctx, views.QueueTile(now, *q, s.thresholds()))
}

// wallboardSummaryData is the part of the wallboard the summary strip reads.
func (s *Server) wallboardSummaryData(ctx context.Context) views.WallboardData {
	now := s.nowIn(ctx)
	d := views.WallboardData{Now: now, Thresholds: s.thresholds()}
	s.board.read(func(b *live.Board) { d.Queues, d.Agents = b.Queues(now), b.Agents() })
	d.Total = live.Pool(d.Queues)
	return d
}
