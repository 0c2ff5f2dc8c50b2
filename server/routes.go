package server

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"ringside/server/call"
	"ringside/server/report"
	"ringside/static"
)

// route is one line of the table: who may reach a path (guard, from access.go; nil
// for anyone) and what answers it.
type route struct {
	method, path string
	guard        fiber.Handler
	handle       []fiber.Handler
}

func r(method, path string, guard fiber.Handler, handle ...fiber.Handler) route {
	return route{method, path, guard, handle}
}

// routes registers every route, in the order fiber matches them: first what every
// request passes (middleware.go), then what machines call (webhooks, probes, the JSON
// API), then the pages, which are answered in the person's language.
func (s *Server) routes() {
	a := s.app
	a.Use(s.recoverPanics()) // outermost: see recover.go
	a.Use(s.realClient, securityHeaders, s.transportHeaders, boundBodies)
	mount(a, s.machineRoutes())
	api := a.Group("/api/v1", s.apiAuth)
	mount(api, s.apiRoutes())
	api.All("/*", func(c *fiber.Ctx) error { return apiError(c, fiber.StatusNotImplemented, msgNoService) })
	a.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 365 * 24 * 3600}))
	a.Use(s.withLocale)
	mount(a, s.pageRoutes())
}

func mount(rt fiber.Router, table []route) {
	for _, e := range table {
		hs := e.handle
		if e.guard != nil {
			hs = append([]fiber.Handler{e.guard}, hs...)
		}
		rt.Add(e.method, e.path, hs...)
	}
}

const (
	get  = fiber.MethodGet
	post = fiber.MethodPost
	put  = fiber.MethodPut
)

// machineRoutes: a PBX authenticates as its source (hooks.go), probes are open,
// /metrics takes a scraper's token or an admin.
func (s *Server) machineRoutes() []route {
	t := []route{
		r(get, "/healthz", nil, s.opsHealth),
		r(get, "/readyz", nil, s.opsReady),
		r(get, "/metrics", s.metricsAuth, s.opsMetrics),
	}
	for _, p := range []string{"/hooks/:source", "/hooks/:source/:event"} {
		for _, m := range []string{get, post, put} {
			t = append(t, r(m, p, nil, s.countAnswer, s.hookDelivery))
		}
	}
	return t
}

// apiRoutes are under /api/v1, after apiAuth (Basic or X-APIKEY).
func (s *Server) apiRoutes() []route {
	return []route{
		r(get, "/events", s.apiMay(seeAllCalls), s.apiEvents),
		r(get, "/calls", s.apiMay(seeAllCalls), s.apiCalls),
		r(get, "/calls/:id", s.apiMay(seeAllCalls), s.apiCall),
		r(get, "/agents", s.apiMay(seeAllCalls), s.apiAgents),
		r(get, "/queues", s.apiMay(seeAllCalls), s.apiQueues),
		r(get, "/callbacks", s.apiMay(signedIn), s.apiCallbacks),
		r(post, "/cdrs/search", s.apiMay(seeAllCalls), s.apiCDRSearch),
		r(post, "/reports/queues", s.apiMay(seeReports), s.apiReport(report.KindQueue)),
		r(post, "/reports/agents", s.apiMay(seeReports), s.apiReport(report.KindAgent)),
		r(post, "/calls/originate", s.apiMay(signedIn), s.apiOriginate), // actor() scopes it
		r(post, "/agents/:id/pause", s.apiMay(signedIn), s.apiPause(true)),
		r(post, "/agents/:id/resume", s.apiMay(signedIn), s.apiPause(false)),
		r(get, "/backup", s.apiMay(administer), s.apiBackup),
	}
}

// pageRoutes are what browsers open: people() sends a stranger to /login.
func (s *Server) pageRoutes() []route {
	return []route{
		r(get, "/login", nil, s.pageLogin),
		r(post, "/login", nil, s.pageSignIn),
		r(get, "/catching-up", nil, s.pageCatchingUp),
		r(post, "/lang", s.people(signedIn), s.pageSetLanguage),
		r(post, "/logout", s.people(signedIn), s.pageSignOut),
		r(get, "/", s.people(signedIn), s.pageHome),
		r(get, "/wallboard", s.people(seeWallboard), s.pageWallboard),
		r(get, "/agent", s.people(seeOwnCalls, previewAgents), s.pageAgent),
		r(get, "/calls/:id", s.people(signedIn), s.pageCall), // mayView decides per call
		r(get, "/cdrs", s.people(seeAllCalls), s.pageCDRs),
		r(get, "/cdrs.csv", s.people(seeAllCalls), s.pageCDRsCSV),
		r(get, "/reports", s.people(seeReports), s.pageReports),
		r(get, "/reports.csv", s.people(seeReports), s.pageReportsCSV),
		r(get, "/settings", s.people(administer), s.pageSettings),
		r(post, "/settings/reload", s.people(administer), s.pageReload),
		r(get, "/ws", s.people(signedIn), s.pageSocket, s.socketServe()), // subscriptionOf decides per page
		r(get, "/recordings/:call/:n", s.people(signedIn), s.pageRecording),
		r(get, "/voicemails/:source/:id", s.people(signedIn), s.pageVoicemail),
		r(post, "/calls/originate", s.people(signedIn), s.pageOriginate), // actor() scopes it
		r(post, "/agent/pause", s.people(actForSelf), s.pagePause(true)),
		r(post, "/agent/resume", s.people(actForSelf), s.pagePause(false)),
		r(post, "/agents/:id/pause", s.people(actForAnyone), s.pagePause(true)),
		r(post, "/agents/:id/resume", s.people(actForAnyone), s.pagePause(false)),
		r(post, "/callbacks/done", s.people(workCallbacks), s.pageMarkCallback(call.CallbackDone)),
		r(post, "/callbacks/take", s.people(workCallbacks), s.pageMarkCallback(call.CallbackTaken)),
	}
}
