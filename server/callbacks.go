package server

// Callers to call back: the list (what counts as abandoned, reached or done lives in
// live/callbacks.go), who sees which callers, the marks people log, and the pushes
// that keep every page showing the list in step.

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/store"
)

// callbacksOf lists the callers to call back a person sees: supervisors and admins all
// of them, an agent those of their queues and those offered to them.
func (s *Server) callbacksOf(u *config.User) []call.Callback {
	var list []call.Callback
	var me call.Agent
	s.board.read(func(b *live.Board) {
		list = b.Callbacks()
		me, _ = b.Agent(u.Agent)
	})
	return visibleTo(u, me.Queues, list, concerns)
}

// concerns says whether a caller is one of agent's to call back.
func concerns(cb call.Callback, agent string, queues []string) bool {
	return slices.Contains(cb.Agents, agent) || slices.ContainsFunc(cb.Queues, func(q string) bool { return slices.Contains(queues, q) })
}

func (s *Server) agentCallbacks(agent string) []call.Callback {
	return s.callbacksOf(&config.User{Role: "agent", Agent: agent})
}

// pageMarkCallback logs that a person has dealt with a caller (done) or is calling them back
// (take). The form names the row they acted on: the number and its latest abandoned
// call. The mark covers that call and every earlier one of the number, so a caller who
// gave up again meanwhile stays listed.
func (s *Server) pageMarkCallback(typ call.Type) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := sessionOf(c).User
		number, callID := c.FormValue("number"), c.FormValue("call")
		var row call.Callback
		var listed bool
		s.board.read(func(b *live.Board) { row, listed = b.Callback(number) })
		if !listed {
			return toast(c, fiber.StatusOK, localeOf(c).T("toast_cb_already_off"))
		}
		if !slices.ContainsFunc(s.callbacksOf(u), func(cb call.Callback) bool { return cb.Number == row.Number }) {
			return toast(c, fiber.StatusForbidden, localeOf(c).T("toast_cb_not_yours"))
		}
		acted := row.Last
		if callID != "" && callID != acted.ID { // the page showed an older call of the number
			cl, ok, err := s.findCall(callID)
			if err != nil {
				return toast(c, fiber.StatusServiceUnavailable, localeOf(c).T("err_store"))
			}
			if !ok || cl.From != row.Last.From || cl.EndedAt == nil {
				return toast(c, fiber.StatusBadRequest, localeOf(c).T("toast_cb_not_this_caller"))
			}
			acted = cl
		}
		now := s.now()
		e := call.Event{Source: acted.Source, Vendor: "ringside", Name: markNames[typ], Type: typ, Call: acted.ID,
			From: row.Number, By: s.displayName(u), At: now, ReceivedAt: now, EndedAt: acted.EndedAt}
		d := store.Delivery{Source: acted.Source, Method: c.Method(), Path: c.Path(), ReceivedAt: now, Key: "callback:" + randomID()}
		if _, err := s.store.Append(c.UserContext(), d, []call.Event{e}); err != nil {
			s.log.Error("logging a callback mark failed", "number", row.Number, "err", err)
			return toast(c, fiber.StatusServiceUnavailable, localeOf(c).T("toast_not_saved"))
		}
		if typ == call.CallbackTaken {
			return toast(c, fiber.StatusOK, localeOf(c).T("toast_cb_taken", "Number", row.Number))
		}
		return toast(c, fiber.StatusOK, localeOf(c).T("toast_cb_done", "Number", row.Number))
	}
}

var markNames = map[call.Type]string{call.CallbackDone: "CallbackDone", call.CallbackTaken: "CallbackTaken"}

// displayName is how a person is named to others: an agent by their directory name.
func (s *Server) displayName(u *config.User) string {
	if u.Agent != "" {
		if n := s.names()[u.Agent]; n != "" {
			return n
		}
	}
	return u.Name
}

// apiCallbacks is GET /api/v1/callbacks: the callers to call back the API user sees.
func (s *Server) apiCallbacks(c *fiber.Ctx) error {
	u, _ := c.Locals("user").(*config.User)
	return s.boardJSON(c, nonNil(s.callbacksOf(u)))
}

// mergeAudiences joins the audiences of one batch's callback changes.
func mergeAudiences(as []*live.Audience) *live.Audience {
	out := &live.Audience{}
	for _, a := range as {
		if a != nil {
			out.Queues = append(out.Queues, a.Queues...)
			out.Agents = append(out.Agents, a.Agents...)
		}
	}
	slices.Sort(out.Queues)
	slices.Sort(out.Agents)
	out.Queues, out.Agents = slices.Compact(out.Queues), slices.Compact(out.Agents)
	return out
}
