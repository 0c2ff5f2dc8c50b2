package server

import (
	"github.com/gofiber/fiber/v2"

	"ringside/views"
)

// toast answers a button's htmx request with a message for the page's #toast, rendered
// by templ (escaped) like every fragment htmx swaps in.
func toast(c *fiber.Ctx, code int, msg string) error {
	return renderPage(c, code, views.Toast(msg, code < 300))
}
