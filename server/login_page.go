package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/config"
	"ringside/views"
)

// Signing in and out: the login form, the session cookie, and where each role lands.

func (s *Server) pageLogin(c *fiber.Ctx) error {
	if _, ok := s.session(c); ok {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.renderLogin(c, fiber.StatusOK, "")
}

func (s *Server) renderLogin(c *fiber.Ctx, code int, msg string) error {
	tok := randomID()
	c.Cookie(&fiber.Cookie{Name: loginCookie, Value: tok, Path: "/login", HTTPOnly: true, SameSite: "Strict", Secure: s.secure()})
	return renderPage(c, code, views.Login(msg, tok))
}

func (s *Server) pageSignIn(c *fiber.Ctx) error {
	if tok := c.Cookies(loginCookie); tok == "" || !equal(tok, c.FormValue("csrf")) {
		return s.renderLogin(c, fiber.StatusForbidden, "login_expired")
	}
	name := c.FormValue("username")
	keys := s.guessKeys(c, name)
	if wait := s.lockedOut(c, keys); wait > 0 {
		return s.renderLogin(c, fiber.StatusTooManyRequests, fmt.Sprintf("Too many failed logins. Please try again in %d s.", wait))
	}
	u, ok, err := s.users().password(name, c.FormValue("password"))
	if err != nil {
		c.Set(fiber.HeaderRetryAfter, "5")
		return s.renderLogin(c, fiber.StatusServiceUnavailable, "The server is busy. Please try again.")
	}
	if !ok || (u.Password == "" && u.PasswordHash == "") {
		s.guesses.failed(s.now(), keys...)
		s.log.Warn("login failed", "user", name, "ip", c.IP())
		return s.renderLogin(c, fiber.StatusUnauthorized, "login_wrong")
	}
	s.guesses.succeeded(nameKey(s.users(), name))
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: s.sessions.issue(u, s.now()), Path: "/", HTTPOnly: true,
		SameSite: "Lax", Secure: s.secure(), Expires: s.now().Add(sessionTTL)})
	c.ClearCookie(loginCookie)
	s.log.Info("login", "user", u.Name, "role", u.Role)
	return c.Redirect(homeOf(u), fiber.StatusSeeOther)
}

func (s *Server) pageSignOut(c *fiber.Ctx) error {
	id := sessionOf(c).ID
	if err := s.sessions.revoke(id, s.now()); err != nil {
		s.log.Error("keeping a logout failed: the session ends now, but a restart would forget it", "err", err)
	}
	s.sockets.closeSession(id)
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, Expires: time.Unix(0, 0), MaxAge: -1})
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// secure marks cookies Secure when Ringside is published over https.
func (s *Server) secure() bool { return strings.HasPrefix(s.cfg().PublicURL, "https://") }

func homeOf(u *config.User) string {
	switch u.Role {
	case "agent":
		return "/agent"
	case "manager":
		return "/cdrs"
	}
	return "/wallboard"
}

func (s *Server) pageHome(c *fiber.Ctx) error {
	return c.Redirect(homeOf(sessionOf(c).User), fiber.StatusSeeOther)
}
