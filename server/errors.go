package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"ringside/views"
)

// How Ringside answers what goes wrong, by who asked, each style in one place:
//   - machines (the JSON API, webhooks, /metrics): the Simotel-style envelope (apiError,
//     apiDenied and the named messages below);
//   - a person opening a page: the styled error page in their language (errorPage);
//   - a page's button (htmx): a toast in place (toast.go, saying.go's toastSaid);
//   - a person's plain request (a recording link in a tab, a refused form): plain text
//     in their language (saying.go's plain).
// fiber's own errors (an unknown path, a wrong method, a body too large, a panic) go
// through errorHandler, which picks the page or the envelope by what asks (wantsPage).

// envelope is the Simotel-style answer every JSON route uses.
type envelope struct {
	Success int    `json:"success"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
	// CatchingUp is set on answers read from the board: true while it restores and
	// replays the log after a start, so the data may be partial.
	CatchingUp *bool `json:"catching_up,omitempty"`
}

// Named answers of the JSON API.
const (
	msgAccessDenied     = "Access denied"
	msgStoreUnavailable = "store unavailable"
	msgUnparsable       = "Unable to parse content"
	msgNoService        = "Requested service does not exist"
)

func apiError(c *fiber.Ctx, code int, msg string) error {
	return c.Status(code).JSON(envelope{Success: 0, Message: msg})
}

// apiDenied is the API's answer to a caller whose role may not do what they asked.
func apiDenied(c *fiber.Ctx) error { return apiError(c, fiber.StatusForbidden, msgAccessDenied) }

// apiDeniedBecause is apiDenied with the reason (an action the role may not take).
func apiDeniedBecause(c *fiber.Ctx, err error) error {
	return apiError(c, fiber.StatusForbidden, msgAccessDenied+": "+err.Error())
}

// errorPage answers an error as a page; msg is a catalog key ("" for none).
func (s *Server) errorPage(c *fiber.Ctx, sess *session, code int, msg string) error {
	return renderPage(c, code, views.ErrorPage(s.pageOf(c, sess, "error_title", ""), code, msg))
}

// errorHandler answers fiber's own errors (404, 405, 413, a panic's 500): the styled
// page for people, the envelope for machines.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
	}
	if code == fiber.StatusInternalServerError {
		s.log.Error("request failed", "path", c.Path(), "err", err)
	}
	if wantsPage(c) { // recover.go
		c.Response().ResetBody() // a panic may have written half an answer
		sess, _ := s.session(c)
		msg := ""
		if code == fiber.StatusNotFound {
			msg = "error_not_found_page"
		}
		return s.errorPage(c, sess, code, msg)
	}
	msg := err.Error()
	switch code {
	case fiber.StatusRequestEntityTooLarge:
		msg = "body larger than 1 MiB"
	case fiber.StatusMethodNotAllowed:
		msg = "Method not allowed"
	case fiber.StatusInternalServerError:
		msg = "internal error"
	}
	return apiError(c, code, msg)
}
