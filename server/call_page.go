package server

import (
	"github.com/gofiber/fiber/v2"

	"ringside/views"
)

// The call card page (/calls/{id}).

func (s *Server) pageCall(c *fiber.Ctx) error {
	sess := sessionOf(c)
	cl, ok, err := s.findCall(pathParam(c, "id"))
	if err != nil {
		return s.errorPage(c, sess, fiber.StatusServiceUnavailable, "error_store")
	}
	if !ok || !mayView(sess.User, cl) {
		return s.errorPage(c, sess, fiber.StatusNotFound, "error_no_call")
	}
	p := s.pageOf(c, sess, "", "call:"+cl.ID)
	p.Title = localeOf(c).T("call_title", "Number", cl.From)
	return renderPage(c, fiber.StatusOK, views.CallCard(p, cl, true))
}
