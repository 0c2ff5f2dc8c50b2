package server

import (
	"time"

	"ringside/server/version"

	"github.com/gofiber/fiber/v2"
)

// stuckAfter is how long the board may lag the log without moving before /readyz
// calls it stuck.
const stuckAfter = 30 * time.Second

// behindBy is how many logged events the board may lag (while it moves) before
// /readyz calls it behind.
const behindBy = 10000

// opsReady is /readyz: 200 once the board has applied the log present at start
// and keeps up with it; 503 while it catches up ("catching_up"), when it lags the log
// by more than behindBy events ("behind"), and when it lags and has not moved for
// stuckAfter or can no longer read the log ("stuck", with "error"); and while the log's
// writer fails ("store_failed", with "error": its writes panicked within the last
// minute, or it failed closed and needs a restart, see store.Fault). /healthz only says
// the process answers. Skipped unreadable events are counted in "skipped".
func (s *Server) opsReady(c *fiber.Ctx) error {
	b := s.board
	applied, logged := b.progressed.Load(), s.store.LastSeq()
	body := fiber.Map{"applied": applied, "seq": logged}
	if _, n := b.skipped.list(); n > 0 {
		body["skipped"] = n
	}
	idle := time.Since(time.Unix(0, b.movedAt.Load()))
	failed := b.failed.Load()
	switch {
	case s.store.Fault() != nil: // the log's writer panicked: deliveries are answered 503
		body["status"] = "store_failed"
		body["error"] = s.store.Fault().Error()
	case failed != nil:
		body["status"] = "stuck"
		body["error"] = *failed
	case !b.isReady():
		body["status"] = "catching_up"
	case applied < logged && idle > stuckAfter:
		body["status"] = "stuck"
		body["stuck_for_s"] = int(idle.Seconds())
	case logged-applied > behindBy:
		body["status"] = "behind"
		body["behind_by"] = logged - applied
	default:
		body["status"] = "ready"
		return c.JSON(body)
	}
	return c.Status(fiber.StatusServiceUnavailable).JSON(body)
}

// opsHealth is /healthz: the process answers, with the last logged event and the version.
func (s *Server) opsHealth(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "seq": s.store.LastSeq(), "version": version.String()})
}
