package server

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/store"
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
	p := views.Page{Title: loc.T(title), Topic: topic, Now: s.now().In(loc.Zone), Back: c.OriginalURL(), CatchingUp: s.catchingUp()}
	if sess != nil {
		p.User = views.User{Name: sess.User.Name, Role: sess.User.Role, Agent: sess.User.Agent, Pages: navOf(sess.User)}
		p.CSRF = s.sessions.csrf(sess.ID)
		p.MayAct = MayAct(sess.User.Role)
		if may(sess.User, actForAnyone) {
			p.Callers = s.callers()
		}
	}
	s.board.read(func(b *live.Board) { p.Names = views.NamesOf(b.Agents()) })
	return p
}

// ---- login -------------------------------------------------------------------

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

// ---- pages -------------------------------------------------------------------

func (s *Server) pageWallboard(c *fiber.Ctx) error {
	p := s.pageOf(c, sessionOf(c), "nav_wallboard", "wallboard")
	p.TV = c.Query("tv") == "1"
	return renderPage(c, fiber.StatusOK, views.Wallboard(p, s.wallboardData(c.UserContext())))
}

// pageAgent is an agent's own page, or for an admin the page of the agent they chose
// (?agent=id), as a preview: live like the agent's, without the controls that would
// act for them.
func (s *Server) pageAgent(c *fiber.Ctx) error {
	sess := sessionOf(c)
	if may(sess.User, seeOwnCalls) {
		p := s.pageOf(c, sess, "nav_my_calls", "agent")
		return renderPage(c, fiber.StatusOK, views.Agent(p, s.agentData(c.UserContext(), sess.User.Agent)))
	}
	var agents []call.Agent
	s.board.read(func(b *live.Board) { agents = b.Agents() })
	id := c.Query("agent")
	if id == "" {
		return renderPage(c, fiber.StatusOK, views.AgentPreviewChooser(s.pageOf(c, sess, "preview_choose", ""), agents))
	}
	if !slices.ContainsFunc(agents, func(a call.Agent) bool { return a.ID == id }) {
		return s.errorPage(c, sess, fiber.StatusNotFound, "error_not_found_page")
	}
	d := s.agentData(c.UserContext(), id)
	p := s.pageOf(c, sess, "", agentTopic(id))
	p.Title = localeOf(c).T("preview_title", "Name", d.Agent.Name)
	p.MayAct = false
	return renderPage(c, fiber.StatusOK, views.Agent(p, d))
}

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

// cdrQuery reads the CDR form (also used by the CSV export).
func (s *Server) cdrQuery(c *fiber.Ctx) (views.CDRQuery, store.Query) {
	f := views.CDRQuery{Number: strings.TrimSpace(c.Query("number")), Agent: c.Query("agent"), Queue: c.Query("queue"),
		Source: c.Query("source"), Direction: c.Query("direction"), Disposition: c.Query("disposition"),
		From: c.Query("from"), To: c.Query("to")}
	q := store.Query{Number: f.Number, Agent: f.Agent, Queue: f.Queue, Source: f.Source, Direction: f.Direction, Disposition: f.Disposition}
	loc := localeOf(c) // the dates are in the person's calendar and zone
	if t, ok := loc.ParseDateInput(f.From); ok {
		q.From = t
	}
	if t, ok := loc.ParseDateInput(f.To); ok {
		q.To = t.AddDate(0, 0, 1) // the "to" day is included
	}
	return f, q
}

func (s *Server) pageCDRs(c *fiber.Ctx) error {
	sess := sessionOf(c)
	f, q := s.cdrQuery(c)
	if !datesInRange(q) {
		return s.errorPage(c, sess, fiber.StatusBadRequest, "error_date_range")
	}
	q.Start, _ = strconv.Atoi(c.Query("start"))
	q.Start = max(q.Start, 0)
	q.Count = store.DefaultCount
	rows, total, err := s.store.SearchCDRs(q)
	if err != nil {
		return s.errorPage(c, sess, fiber.StatusServiceUnavailable, "error_store")
	}
	d := views.CDRData{Now: s.nowIn(c.UserContext()), Query: f, Rows: s.playables(rows), Total: total, Start: q.Start, Count: q.Count}
	s.board.read(func(b *live.Board) {
		for _, a := range b.Agents() {
			d.Agents = append(d.Agents, a.ID)
		}
		d.QueueNames = views.Names{}
		for _, qu := range b.Queues(s.now()) {
			if qu.Unqueued {
				continue // waiting callers, not a queue a record can name
			}
			d.Queues = append(d.Queues, qu.ID)
			if qu.Name != "" {
				d.QueueNames[qu.ID] = qu.Name
			}
		}
	})
	for _, src := range s.cfg().Sources {
		d.Sources = append(d.Sources, src.Name)
	}
	return renderPage(c, fiber.StatusOK, views.CDRs(s.pageOf(c, sess, "nav_call_records", "cdrs"), d))
}

func (s *Server) pageSettings(c *fiber.Ctx) error {
	var d views.SettingsData
	base := s.cfg().PublicURL
	if base == "" {
		base = c.BaseURL()
	}
	for i := range s.cfg().Sources {
		src := &s.cfg().Sources[i]
		v := views.SourceView{Name: src.Name, Vendor: src.Vendor, URL: config.HookURLAt(base, src), Timezone: src.Timezone,
			Username: src.Username, Password: src.Password, Token: src.Token, SigningSecret: src.SigningSecret}
		v.APIStatus, v.APIError = s.apiStatus(c, src)
		v.Clock = s.clocks.skew(src.Name, src.Location, s.now())
		d.Sources = append(d.Sources, v)
	}
	skipped, total := s.board.skipped.list()
	for _, e := range skipped {
		d.Skipped = append(d.Skipped, views.SkippedView{Seq: e.Seq, Reason: e.Reason})
	}
	d.SkippedTotal = total
	for _, u := range s.cfg().Users {
		d.Users = append(d.Users, views.UserView{Name: u.Name, Role: u.Role, Agent: u.Agent})
	}
	for _, a := range s.cfg().Agents {
		d.Agents = append(d.Agents, views.DirectoryView{ID: a.ID, Name: a.Name, Match: a.Match})
	}
	d.ConfigFile = s.cfg().File
	if n := s.lastReload.Load(); n != nil {
		d.ReloadAt, d.ReloadErr = &n.At, n.Err
	}
	return renderPage(c, fiber.StatusOK, views.Settings(s.pageOf(c, sessionOf(c), "nav_settings", ""), d))
}

// ---- data for pages and fragments ----------------------------------------------

// wallboardData is the wallboard's picture now.
func (s *Server) wallboardData(ctx context.Context) views.WallboardData {
	now := s.nowIn(ctx)
	d := views.WallboardData{Now: now, Thresholds: s.thresholds()}
	s.board.read(func(b *live.Board) {
		d.Queues, d.Agents, d.Calls = b.Queues(now), b.Agents(), b.Calls()
	})
	d.Total = live.Pool(d.Queues)
	d.Hours = s.hours.get(now)
	s.board.read(func(b *live.Board) { d.Callbacks = b.Callbacks() })
	return d
}

func (s *Server) thresholds() views.Thresholds {
	th := views.DefaultThresholds()
	if s.cfg().RedWaitS > 0 {
		th.RedWaitS = s.cfg().RedWaitS
	}
	if s.cfg().RedSLPct > 0 {
		th.RedSLPct = s.cfg().RedSLPct
	}
	for _, q := range s.cfg().Queues {
		if q.RedWaitS > 0 || q.RedSLPct > 0 {
			if th.PerQueue == nil {
				th.PerQueue = map[string]views.Thresholds{}
			}
			th.PerQueue[q.ID] = views.Thresholds{RedWaitS: q.RedWaitS, RedSLPct: q.RedSLPct}
		}
	}
	return th
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// agentData is one agent's page: their state, the calls at them, history and recent calls.
func (s *Server) agentData(ctx context.Context, agentID string) views.AgentData {
	now := s.nowIn(ctx)
	d := views.AgentData{Now: now, PauseReasons: s.cfg().PauseReasons, History: map[string][]call.Call{}}
	s.board.read(func(b *live.Board) {
		if a, ok := b.Agent(agentID); ok {
			d.Agent = a
		} else {
			d.Agent = call.Agent{ID: agentID, Name: agentID, State: call.StateOffline}
		}
		d.QueueNames = views.Names{}
		for _, q := range b.Queues(s.now()) {
			if q.Name != "" && slices.Contains(d.Agent.Queues, q.ID) {
				d.QueueNames[q.ID] = q.Name
			}
		}
		for _, c := range b.Calls() {
			if c.Agent == agentID || slices.Contains(c.Ringing, agentID) {
				d.Pops = append(d.Pops, s.playable(c))
			}
		}
	})
	recent, _, _ := s.store.SearchCDRs(store.Query{Agent: agentID, Count: 20})
	d.Recent = s.playables(recent)
	d.Callbacks = s.agentCallbacks(agentID)
	d.Voicemails = s.agentVoicemails(agentID)
	for _, c := range d.Recent { // just-ended calls keep their card, with the recording link
		if c.EndedAt != nil && now.Sub(*c.EndedAt) < 10*time.Minute && c.Agent == agentID {
			d.Pops = append(d.Pops, c)
		}
	}
	for _, c := range d.Pops {
		if n := c.OtherParty(); n != "" {
			if _, done := d.History[n]; !done {
				d.History[n] = s.history(c)
			}
		}
	}
	return d
}

// history is the previous calls with a call's other party (the caller, or the number an
// agent dialled out to: never the agent's own extension, which every call of theirs has).
func (s *Server) history(c call.Call) []call.Call {
	n := c.OtherParty()
	if n == "" {
		return nil
	}
	rows, _, err := s.store.SearchCDRs(store.Query{Number: n, WholeNumber: true, Count: 6})
	if err != nil {
		return nil
	}
	out := rows[:0]
	for _, r := range rows {
		if r.ID != c.ID {
			out = append(out, r)
		}
	}
	return out
}
