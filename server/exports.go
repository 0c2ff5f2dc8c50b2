package server

import (
	"github.com/gofiber/fiber/v2"
)

// maxExports bounds the CSV exports running at once. Each walks the CDR store as fast
// as its client reads (100k rows in about 1.5 s of a core); six at once slowed
// webhooks 35×. One more is answered 429 with Retry-After. A client that stops
// reading holds its slot until the write timeout ends its connection.
const maxExports = 2

type exportSlots chan struct{}

func newExportSlots() exportSlots { return make(exportSlots, maxExports) }

// take reserves a slot, or answers 429 and returns false.
func (e exportSlots) take(c *fiber.Ctx) bool {
	select {
	case e <- struct{}{}:
		return true
	default:
		c.Set(fiber.HeaderRetryAfter, "10")
		plain(c, fiber.StatusTooManyRequests, "err_too_many_exports")
		return false
	}
}

func (e exportSlots) release() { <-e }
