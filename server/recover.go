package server

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// recoverPanics runs every handler under panic recovery: a panic (a bbolt read of a
// damaged page, a bug) answers 500 (the styled error page to a browser, the JSON
// envelope to the API and webhooks) and is logged with its stack, instead of ending
// the process and every delivery in flight with it.
func (s *Server) recoverPanics() fiber.Handler {
	return recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, p any) {
			s.log.Error("handler panicked; answered 500", "method", c.Method(), "path", c.Path(),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		},
	})
}

// wantsPage tells a browser's page request from the API, webhooks and fragments.
func wantsPage(c *fiber.Ctx) bool {
	p := c.Path()
	for _, prefix := range []string{"/api/", "/hooks/", "/metrics", "/healthz", "/readyz", "/static/", "/ws"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return c.Get("HX-Request") == "" && strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
