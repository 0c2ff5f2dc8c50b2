package server

// GET /api/v1/agents.

import (
	"github.com/gofiber/fiber/v2"

	"ringside/server/live"
)

func (s *Server) apiAgents(c *fiber.Ctx) error { return boardList(s, c, (*live.Board).Agents) }
