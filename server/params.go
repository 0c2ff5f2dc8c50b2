package server

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// pathParam is a path parameter decoded once: fiber hands parameters over as sent, so
// "/calls/pbx1%3A123" (what encodeURIComponent and most HTTP clients produce) names the
// call "pbx1:123", and ids with spaces, "<" or "%" reach the handler as they are. The
// path is not unescaped before routing, so an encoded "/" stays inside its parameter.
// A malformed escape is kept as sent: it names nothing, and the handler answers 404.
func pathParam(c *fiber.Ctx, name string) string {
	raw := c.Params(name)
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}
