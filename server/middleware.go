package server

// The guards of routes.go: who is asking (a page session, API credentials) and whether
// the access table (access.go) lets them through.

import (
	"github.com/gofiber/fiber/v2"

	"ringside/server/config"
)

// apiMay admits an API caller (apiAuth ran first) with permission p.
func (s *Server) apiMay(p permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if u, _ := c.Locals("user").(*config.User); !may(u, p) {
			return apiDenied(c)
		}
		return c.Next()
	}
}

// apiAuth admits API users by HTTP Basic and/or X-APIKEY (Simotel's convention: when
// both are sent, both must be right).
func (s *Server) apiAuth(c *fiber.Ctx) error {
	user, pass, hasBasic := basicAuth(c)
	key := c.Get("X-APIKEY")
	if !hasBasic && key == "" {
		return apiError(c, fiber.StatusUnauthorized, "BasicAuth or ApiKey is missing")
	}
	keys := s.guessKeys(c, user)
	if s.lockedOut(c, keys) > 0 {
		return apiError(c, fiber.StatusTooManyRequests, "too many failed attempts, retry later")
	}
	var who *config.User
	if hasBasic {
		u, ok, err := s.users().password(user, pass)
		if err != nil {
			c.Set(fiber.HeaderRetryAfter, "5")
			return apiError(c, fiber.StatusServiceUnavailable, err.Error())
		}
		if !ok {
			s.guesses.failed(s.now(), keys...)
			return apiError(c, fiber.StatusUnauthorized, "BasicAuth or ApiKey is invalid")
		}
		who = u
	}
	if key != "" {
		u, ok := s.users().apiKey(key)
		if !ok || (who != nil && u != who) {
			s.guesses.failed(s.now(), keys[0]) // a wrong key counts against the address
			return apiError(c, fiber.StatusUnauthorized, "BasicAuth or ApiKey is invalid")
		}
		who = u
	}
	c.Locals("user", who)
	return c.Next()
}

// people admits a logged-in person with one of the permissions (access.go). Without a
// session a page redirects to /login and anything else answers 401; a state-changing
// request must carry the session's CSRF token.
func (s *Server) people(perms ...permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sess, ok := s.session(c)
		if !ok {
			if c.Method() == fiber.MethodGet && c.Path() != "/ws" {
				return c.Redirect("/login", fiber.StatusSeeOther)
			}
			return plain(c, fiber.StatusUnauthorized, "err_log_in_first")
		}
		if !mayAny(sess.User, perms...) {
			return s.errorPage(c, sess, fiber.StatusForbidden, "error_role")
		}
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			tok := c.FormValue("csrf")
			if tok == "" {
				tok = c.Get("X-CSRF-Token")
			}
			if !equal(tok, s.sessions.csrf(sess.ID)) {
				return plain(c, fiber.StatusForbidden, "err_csrf")
			}
		}
		c.Locals("session", sess)
		return c.Next()
	}
}

func (s *Server) session(c *fiber.Ctx) (*session, bool) {
	v := c.Cookies(sessionCookie)
	if v == "" {
		return nil, false
	}
	ck, err := s.sessions.parse(v, s.now())
	if err != nil {
		return nil, false
	}
	u, ok := s.users().byName[ck.user]
	if !ok || !equal(ck.generation, s.sessions.generation(u)) {
		return nil, false // gone, or their password changed since
	}
	return &session{ID: ck.id, User: u}, true
}

func sessionOf(c *fiber.Ctx) *session { s, _ := c.Locals("session").(*session); return s }
