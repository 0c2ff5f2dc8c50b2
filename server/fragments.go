package server

import (
	"context"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/views"
)

// fragment names one piece of a page that a publication (push.go) re-renders.
type fragment struct {
	kind fragKind
	id   string     // the call, agent or queue it shows
	call *call.Call // the call as its change left it, for the fragments that show that
}

type fragKind int

const (
	fragCallRow         fragKind = iota + 1 // wallboard: an active call's row
	fragCallCard                            // call page: the card
	fragPopCard                             // agent page: the screen-pop of a call that rings
	fragPopUpdate                           // agent page: a card already shown
	fragCDRRow                              // call records: an ended call's row
	fragRecentRow                           // agent page: an ended call in "recent calls"
	fragChart                               // wallboard: calls per hour
	fragAgentRow                            // wallboard: an agent's row
	fragAgentMe                             // agent page: their own state
	fragAgentCallbacks                      // agent page: their callers to call back
	fragAgentVoicemails                     // agent page: their messages
	fragQueueTile                           // wallboard: a queue's tile
	fragSummary                             // wallboard: the summary strip
	fragCallbackList                        // wallboard: the callers to call back
)

// renderFragment renders f in ctx's locale, from the board as it is now (or the call
// f carries). It runs on the hub's goroutine; nil renders nothing.
func (s *Server) renderFragment(ctx context.Context, f fragment) []byte {
	now := s.nowIn(ctx)
	switch f.kind {
	case fragCallRow:
		return s.callRowFrame(ctx, f.id)
	case fragCallCard:
		return s.callCardFrame(ctx, f.id)
	case fragPopCard:
		return frame(ctx, views.PopCard(now, s.playable(*f.call), s.history(*f.call), s.names()))
	case fragPopUpdate:
		return s.popUpdateFrame(ctx, f.id)
	case fragCDRRow:
		return frame(ctx, views.CDRRow(now, s.playable(*f.call), s.names()))
	case fragRecentRow:
		return frame(ctx, views.RecentRow(now, s.playable(*f.call)))
	case fragChart:
		return frame(ctx, views.ChartSVG(s.hours.get(s.nowIn(ctx)), s.thresholds()))
	case fragAgentRow:
		return s.agentRowFrame(ctx, f.id)
	case fragAgentMe:
		var a call.Agent
		s.board.read(func(b *live.Board) { a, _ = b.Agent(f.id) })
		return frame(ctx, views.AgentMe(now, a))
	case fragAgentCallbacks:
		return frame(ctx, views.CallbackList(now, s.agentCallbacks(f.id)))
	case fragAgentVoicemails:
		return frame(ctx, views.VoicemailList(now, s.agentVoicemails(f.id)))
	case fragQueueTile:
		return s.queueTileFrame(ctx, f.id)
	case fragSummary:
		return frame(ctx, views.Summary(s.wallboardSummaryData(ctx)))
	case fragCallbackList:
		var list []call.Callback
		s.board.read(func(b *live.Board) { list = b.Callbacks() })
		return frame(ctx, views.CallbackList(now, list))
	}
	return nil
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

func (s *Server) callCardFrame(ctx context.Context, id string) []byte {
	cl, ok, err := s.findCall(id)
	if err != nil || !ok {
		return nil
	}
	return frame(ctx, views.CallCardBody(s.nowIn(ctx), cl, true, s.names()))
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
	var q call.Queue
	var ok bool
	s.board.read(func(b *live.Board) { q, ok = b.Queue(now, id) })
	if !ok {
		return frame(ctx, views.QueueTileGone(id))
	}
	return frame(ctx, views.QueueTile(now, q, s.thresholds()))
}

// wallboardSummaryData is the part of the wallboard the summary strip reads.
func (s *Server) wallboardSummaryData(ctx context.Context) views.WallboardData {
	now := s.nowIn(ctx)
	d := views.WallboardData{Now: now, Thresholds: s.thresholds()}
	s.board.read(func(b *live.Board) { d.Queues, d.Agents = b.Queues(now), b.Agents() })
	d.Total = live.Pool(d.Queues)
	return d
}
