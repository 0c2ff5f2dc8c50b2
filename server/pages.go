package server

import (
	"bytes"
	"context"
	"ringside/server/version"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"ringside/server/live"
	"ringside/views"
)

// renderPage writes a templ component as the HTML answer.
func renderPage(c *fiber.Ctx, code int, comp templ.Component) error {
	c.Status(code).Type("html", "utf-8")
	c.Set("Cache-Control", "no-store")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// frame renders a component to bytes, for the hub, in the locale ctx carries.
func frame(ctx context.Context, comp templ.Component) []byte {
	var b bytes.Buffer
	_ = comp.Render(ctx, &b)
	return b.Bytes()
}

// zone is where people's clocks are: the first source with a configured time zone.
func (s *Server) zone() *time.Location {
	for _, src := range s.cfg().Sources {
		if src.Timezone != "" && src.Location != nil {
			return src.Location
		}
	}
	return time.Local
}

func (s *Server) localNow() time.Time { return s.now().In(s.zone()) }

// pageOf is what every page needs; title is a catalog key.
func (s *Server) pageOf(c *fiber.Ctx, sess *session, title, topic string) views.Page {
	loc := localeOf(c)
	p := views.Page{Title: loc.T(title), Topic: topic, Now: s.now().In(loc.Zone), Back: c.OriginalURL(), CatchingUp: s.catchingUp(), Version: version.String()}
	if sess != nil {
		p.User = views.User{Name: sess.User.Name, Role: sess.User.Role, Agent: sess.User.Agent, Pages: navOf(sess.User)}
		p.CSRF = s.sessions.csrf(sess.ID)
		p.MayAct = s.mayCall(sess.User) // controls.go
		if p.MayAct && may(sess.User, actForAnyone) {
			p.Callers = s.callers()
		}
	}
	s.board.read(func(b *live.Board) { p.Names = views.NamesOf(b.Agents()) })
	return p
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
