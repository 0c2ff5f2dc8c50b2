package server

// GET /api/v1/agents.

import (
	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/live"
)

func (s *Server) apiAgents(c *fiber.Ctx) error {
	var out []call.Agent
	s.board.read(func(b *live.Board) { out = b.Agents() })
	return s.boardJSON(c, nonNil(out))
}
