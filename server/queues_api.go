package server

// GET /api/v1/queues.

import (
	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/live"
)

func (s *Server) apiQueues(c *fiber.Ctx) error {
	now := s.now()
	return boardList(s, c, func(b *live.Board) []call.Queue { return b.Queues(now) })
}
