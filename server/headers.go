package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// hstsMaxAge is a year: browsers that once reached Ringside over https never try it
// over http again, so a network attacker cannot strip TLS.
const hstsMaxAge = "max-age=31536000"

// transportHeaders adds what depends on how Ringside is published and what a route
// answers: Strict-Transport-Security when public_url is https (TLS ends in front of
// Ringside, so the request itself cannot tell), and Cache-Control: no-store on the JSON
// API and the CSV export, whose call data no shared or browser cache may keep. Pages
// set no-store themselves.
func (s *Server) transportHeaders(c *fiber.Ctx) error {
	if strings.HasPrefix(s.cfg().PublicURL, "https://") {
		c.Set(fiber.HeaderStrictTransportSecurity, hstsMaxAge)
	}
	if p := c.Path(); strings.HasPrefix(p, "/api/") || p == "/cdrs.csv" {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}

// securityHeaders is set on every response: no inline script, no framing.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' https: http:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	c.Set("X-Frame-Options", "DENY")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	return c.Next()
}
