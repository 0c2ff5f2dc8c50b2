package server

import (
	"github.com/gofiber/fiber/v2"

	"ringside/views"
)

// Listen first, restore after: the server binds its port and logs deliveries from the
// first second, while the board restores its snapshot and replays the log after it in
// the background (board.run). Until it has caught up with the log present at start,
// what the board shows is partial: pages carry a notice, the board's API answers carry
// catching_up = true, and /readyz answers 503 "catching_up".

// catchingUp tells whether the board is still restoring or replaying.
func (s *Server) catchingUp() bool { return !s.board.isReady() }

// boardJSON answers data read from the board, flagged while the board catches up.
func (s *Server) boardJSON(c *fiber.Ctx, data any) error {
	catchingUp := s.catchingUp()
	return c.JSON(envelope{Success: 1, Data: data, CatchingUp: &catchingUp})
}

// pageCatchingUp is GET /catching-up: the pages' notice while the board catches up,
// nothing once it has (the notice polls it and so removes itself).
func (s *Server) pageCatchingUp(c *fiber.Ctx) error {
	c.Set("Cache-Control", "no-store")
	if !s.catchingUp() {
		return c.Type("html", "utf-8").SendString("")
	}
	return renderPage(c, fiber.StatusOK, views.CatchUpNotice())
}
