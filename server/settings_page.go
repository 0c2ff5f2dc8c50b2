package server

import (
	"github.com/gofiber/fiber/v2"

	"ringside/server/config"
	"ringside/views"
)

// The settings page (/settings, admins): sources with their hook URLs, users, directory.

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
