package server

// GET /api/v1/queues.

import (
	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/live"
)

func (s *Server) apiQueues(c *fiber.Ctx) error {
	var out []call.Queue
	now := s.now()
	s.board.read(func(b *live.Board) { out = b.Queues(now) })
	return s.boardJSON(c, nonNil(out))
}
