package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"ringside/server/live"
	"ringside/views"
)

// The wallboard (/wallboard, ?tv=1 on a wall screen): its picture now and its thresholds.

func (s *Server) pageWallboard(c *fiber.Ctx) error {
	p := s.pageOf(c, sessionOf(c), "nav_wallboard", "wallboard")
	p.TV = c.Query("tv") == "1"
	return renderPage(c, fiber.StatusOK, views.Wallboard(p, s.wallboardData(c.UserContext())))
}

// wallboardData is the wallboard's picture now.
func (s *Server) wallboardData(ctx context.Context) views.WallboardData {
	now := s.nowIn(ctx)
	d := views.WallboardData{Now: now, Thresholds: s.thresholds(), PageS: s.cfg().TVPageS}
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
