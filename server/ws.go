package server

import (
	"context"
	"net/url"
	"strings"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"ringside/server/hub"
	"ringside/views"
	"ringside/views/i18n"
)

// subscription is what a page's socket listens to and how it re-syncs on (re)connect.
type subscription struct {
	topics  []string
	initial func() []byte
}

// wsUpgrade admits the WebSocket of a page: same-origin only, topics chosen by the
// page and the person's role.
func (s *Server) wsUpgrade(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return fiber.ErrUpgradeRequired
	}
	if !s.sameOrigin(c) {
		return plain(c, fiber.StatusForbidden, "err_cross_origin")
	}
	sess := sessionOf(c)
	page := c.Query("page")
	loc := localeOf(c)
	ctx := i18n.With(context.Background(), loc)
	var sub subscription
	switch {
	case page == "wallboard" && (sess.User.Role == "supervisor" || sess.User.Role == "admin"):
		sub = subscription{[]string{"wallboard", "callbacks"}, func() []byte { return frame(ctx, views.WallboardState(s.wallboardData(ctx))) }}
	case page == "agent" && sess.User.Role == "agent":
		me := sess.User.Agent
		sub = subscription{[]string{"agent:" + me}, func() []byte {
			d := s.agentData(ctx, me)
			return frame(ctx, views.AgentState(d, s.names()))
		}}
	case page == "cdrs" && sess.User.Role != "agent":
		sub = subscription{[]string{"cdrs"}, func() []byte { return nil }}
	case strings.HasPrefix(page, "call:"):
		id := strings.TrimPrefix(page, "call:")
		cl, ok, err := s.findCall(id)
		if err != nil || !ok || !mayView(sess.User, cl) {
			return plain(c, fiber.StatusForbidden, "err_not_your_call")
		}
		sub = subscription{[]string{"call:" + id}, func() []byte { return s.callCardFrame(ctx, id) }}
	default:
		return plain(c, fiber.StatusForbidden, "err_no_page_for_role")
	}
	v := variantOf(loc.Lang, loc.Zone)
	for i, t := range sub.topics { // the person's language and zone: rendered once for all who share them
		sub.topics[i] = t + hub.VariantSep + v
	}
	c.Locals("sub", sub)
	return c.Next()
}

func (s *Server) wsHandler() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		sub, _ := conn.Locals("sub").(subscription)
		if sess, _ := conn.Locals("session").(*session); sess != nil {
			defer s.sockets.add(sess, s.sessions.generation(sess.User), conn)()
		}
		s.hub.Serve(newWSTransport(conn), sub.topics, sub.initial)
	}, websocket.Config{ReadBufferSize: 512, WriteBufferSize: 512})
}

// sameOrigin checks the browser's Origin against the Host it connected to (or the
// configured public URL), so another site cannot open a socket with our cookie.
func (s *Server) sameOrigin(c *fiber.Ctx) bool {
	o := c.Get(fiber.HeaderOrigin)
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if u.Host == string(c.Request().Host()) {
		return true
	}
	if p, err := url.Parse(s.cfg().PublicURL); err == nil && p.Host != "" && p.Host == u.Host {
		return true
	}
	return false
}

func (s *Server) names() views.Names { return s.board.agentNames() }
