package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// stuckAfter is how long the board may lag the log without moving before /readyz
// calls it stuck.
const stuckAfter = 30 * time.Second

// handleReady is /readyz: 200 once the board has applied the log present at start
// and keeps up with it; 503 while it catches up, or when it lags the log and has not
// moved for stuckAfter. /healthz only says the process answers.
func (s *Server) handleReady(c *fiber.Ctx) error {
	b := s.board
	applied, logged := b.progressed.Load(), s.store.LastSeq()
	body := fiber.Map{"applied": applied, "seq": logged}
	idle := time.Since(time.Unix(0, b.movedAt.Load()))
	switch {
	case !b.isReady():
		body["status"] = "catching_up"
	case applied < logged && idle > stuckAfter:
		body["status"] = "stuck"
		body["stuck_for_s"] = int(idle.Seconds())
	default:
		body["status"] = "ready"
		return c.JSON(body)
	}
	return c.Status(fiber.StatusServiceUnavailable).JSON(body)
}
