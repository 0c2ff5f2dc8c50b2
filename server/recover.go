package server

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/gofiber/fiber/v2"
	fiberrecover "github.com/gofiber/fiber/v2/middleware/recover"
)

// recoverPanics runs every handler under panic recovery: a panic (a bbolt read of a
// damaged page, a bug) answers 500 (the styled error page to a browser, the JSON
// envelope to the API and webhooks) and is logged with its stack, instead of ending
// the process and every delivery in flight with it.
func (s *Server) recoverPanics() fiber.Handler {
	rec := fiberrecover.New(fiberrecover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, p any) {
			s.log.Error("handler panicked; answered 500", "method", c.Method(), "path", c.Path(),
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		},
	})
	return func(c *fiber.Ctx) error {
		// A read past the end of a damaged file faults in the mmap: a panic, not a crash.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		return rec(c)
	}
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

// safely runs fn, a write off the request path (CDRs, report buckets), turning a
// panic (bbolt meeting a damaged page) into an error the caller logs: the writer goes
// on, where the panic would end the process.
func safely(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v (the database file may be damaged: run `ringside check`)", p)
		}
	}()
	return fn()
}
