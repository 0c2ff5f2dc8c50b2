package server

// GET /api/v1/calls and /api/v1/calls/{id}, and finding a call live or stored.

import (
	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/live"
)

func (s *Server) apiCalls(c *fiber.Ctx) error { return boardList(s, c, (*live.Board).Calls) }

// boardList answers a list read from the board: [] when empty, never null.
func boardList[T any](s *Server, c *fiber.Ctx, read func(*live.Board) []T) error {
	var out []T
	s.board.read(func(b *live.Board) { out = read(b) })
	return s.boardJSON(c, nonNil(out))
}

// apiCall answers one call, live or stored, with its timeline.
func (s *Server) apiCall(c *fiber.Ctx) error {
	cl, ok, err := s.findCall(pathParam(c, "id"))
	if err != nil {
		return apiError(c, fiber.StatusServiceUnavailable, msgStoreUnavailable)
	}
	if !ok {
		return apiError(c, fiber.StatusNotFound, "no such call")
	}
	return s.boardJSON(c, cl)
}

// findCall looks on the board first, then in the CDR store, and adds the timeline.
func (s *Server) findCall(id string) (call.Call, bool, error) {
	var cl call.Call
	var ok bool
	s.board.read(func(b *live.Board) { cl, ok = b.Call(id) })
	if !ok {
		var err error
		if cl, ok, err = s.store.CDR(id); err != nil || !ok {
			return cl, ok, err
		}
	}
	evs, err := s.store.CallEvents(id)
	if err != nil {
		return cl, true, err
	}
	for i := range evs {
		evs[i].Recordings = nil // vendor references never leave the server; cl.Recordings has our URLs
	}
	cl.Events = evs
	cl.Voicemails = s.voicemailsOfCall(id)
	return s.playable(cl), true, nil
}
