package server

import (
	"context"
	"net/url"
	"strings"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"ringside/server/config"
	"ringside/server/hub"
	"ringside/views"
	"ringside/views/i18n"
)

// subscription is what a page's socket listens to and how it re-syncs on (re)connect.
type subscription struct {
	topics  []string
	initial func() []byte
}

// pageSocket admits the WebSocket of a page: same-origin only, topics chosen by the
// page and the person's role.
func (s *Server) pageSocket(c *fiber.Ctx) error {
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
	sub, refused := s.subscriptionOf(ctx, sess.User, page)
	if refused != "" {
		return plain(c, fiber.StatusForbidden, refused)
	}
	v := variantOf(loc.Lang, loc.Zone)
	for i, t := range sub.topics { // the person's language and zone: rendered once for all who share them
		sub.topics[i] = t + hub.VariantSep + v
	}
	c.Locals("sub", sub)
	return c.Next()
}

// subscriptionOf is what the socket of page listens to, if u may open that page;
// otherwise why not (a catalog key).
func (s *Server) subscriptionOf(ctx context.Context, u *config.User, page string) (subscription, string) {
	switch {
	case page == "wallboard" && may(u, seeWallboard):
		return subscription{[]string{topicWallboard, topicCallbacks}, func() []byte { return frame(ctx, views.WallboardState(s.wallboardData(ctx))) }}, ""
	case page == "agent" && may(u, seeOwnCalls):
		return s.agentSubscription(ctx, u.Agent), ""
	case strings.HasPrefix(page, "agent:") && may(u, previewAgents):
		return s.agentSubscription(ctx, strings.TrimPrefix(page, "agent:")), ""
	case page == "cdrs" && may(u, seeAllCalls):
		return subscription{[]string{topicCDRs}, func() []byte { return nil }}, ""
	case strings.HasPrefix(page, "call:"):
		id := strings.TrimPrefix(page, "call:")
		cl, ok, err := s.findCall(id)
		if err != nil || !ok || !mayView(u, cl) {
			return subscription{}, "err_not_your_call"
		}
		return subscription{[]string{callTopic(id)}, func() []byte { return s.callCardFrame(ctx, id) }}, ""
	}
	return subscription{}, "err_no_page_for_role"
}

// agentSubscription is one agent's page: their topic, and the whole page on (re)connect.
func (s *Server) agentSubscription(ctx context.Context, id string) subscription {
	return subscription{[]string{agentTopic(id)}, func() []byte { return frame(ctx, views.AgentState(s.agentData(ctx, id), s.names())) }}
}

func (s *Server) socketServe() fiber.Handler {
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

func (s *Server) names() views.Names { return views.Names(s.board.agentNames()) }
