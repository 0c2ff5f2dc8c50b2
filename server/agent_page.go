package server

import (
	"context"
	"slices"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
	"ringside/views"
)

// The agent page (/agent): an agent's own calls, or an admin's preview of a chosen agent.

// pageAgent is an agent's own page, or for an admin the page of the agent they chose
// (?agent=id), as a preview: live like the agent's, without the controls that would
// act for them.
func (s *Server) pageAgent(c *fiber.Ctx) error {
	sess := sessionOf(c)
	if may(sess.User, seeOwnCalls) {
		p := s.pageOf(c, sess, "nav_my_calls", "agent")
		return renderPage(c, fiber.StatusOK, views.Agent(p, s.agentData(c.UserContext(), sess.User.Agent)))
	}
	var agents []call.Agent
	s.board.read(func(b *live.Board) { agents = b.Agents() })
	id := c.Query("agent")
	if id == "" {
		return renderPage(c, fiber.StatusOK, views.AgentPreviewChooser(s.pageOf(c, sess, "preview_choose", ""), agents))
	}
	if !slices.ContainsFunc(agents, func(a call.Agent) bool { return a.ID == id }) {
		return s.errorPage(c, sess, fiber.StatusNotFound, "error_not_found_page")
	}
	d := s.agentData(c.UserContext(), id)
	p := s.pageOf(c, sess, "", agentTopic(id))
	p.Title = localeOf(c).T("preview_title", "Name", d.Agent.Name)
	p.MayAct, d.MayPause = false, false
	return renderPage(c, fiber.StatusOK, views.Agent(p, d))
}

// agentData is one agent's page: their state, the calls at them, history and recent calls.
func (s *Server) agentData(ctx context.Context, agentID string) views.AgentData {
	now := s.nowIn(ctx)
	d := views.AgentData{Now: now, PauseReasons: s.cfg().PauseReasons, History: map[string][]call.Call{}, EndedCardS: s.cfg().EndedCardS}
	s.board.read(func(b *live.Board) {
		if a, ok := b.Agent(agentID); ok {
			d.Agent = a
		} else {
			d.Agent = call.Agent{ID: agentID, Name: agentID, State: call.StateOffline}
		}
		d.QueueNames = views.Names{}
		for _, id := range d.Agent.Queues {
			if name := b.QueueName(id); name != "" {
				d.QueueNames[id] = name
			}
		}
		for _, c := range b.Calls() {
			if c.Agent == agentID || slices.Contains(c.Ringing, agentID) {
				d.Pops = append(d.Pops, s.playable(c))
			}
		}
	})
	d.MayPause = s.mayPause(d.Agent) // controls.go
	recent, _, _ := s.store.SearchCDRs(store.Query{Agent: agentID, Count: 20})
	d.Recent = s.playables(recent)
	d.Callbacks = s.agentCallbacks(agentID)
	d.Voicemails = s.agentVoicemails(agentID)
	if c, ok := justEnded(d.Recent, agentID, now, d.EndedCardS); ok { // with its recording
		d.Pops = append(d.Pops, c)
	}
	for _, c := range d.Pops {
		if n := c.OtherParty(); n != "" {
			if _, done := d.History[n]; !done {
				d.History[n] = s.history(c)
			}
		}
	}
	return d
}

// history is the previous calls with a call's other party (the caller, or the number an
// agent dialled out to: never the agent's own extension, which every call of theirs has).
func (s *Server) history(c call.Call) []call.Call {
	n := c.OtherParty()
	if n == "" {
		return nil
	}
	rows, _, err := s.store.SearchCDRs(store.Query{Number: n, WholeNumber: true, Count: 6})
	if err != nil {
		return nil
	}
	out := rows[:0]
	for _, r := range rows {
		if r.ID != c.ID {
			out = append(out, r)
		}
	}
	return out
}
