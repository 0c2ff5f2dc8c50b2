package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/server/report"
)

// Limits of one report: a longer range or finer grouping is refused with a message,
// so one request cannot make the server build millions of rows.
const (
	maxReportDays     = 366
	maxReportHourDays = 62
)

// reportRequest is the body of POST /api/v1/reports/queues and /agents.
type reportRequest struct {
	From    string   `json:"from"`
	To      string   `json:"to"`
	GroupBy string   `json:"group_by"`
	Queues  []string `json:"queues"`
	Agents  []string `json:"agents"`
	Sources []string `json:"sources"`
}

// reportParams checks a request and fills its defaults: from/to default to today in
// zone (the caller's own), group_by to total.
func (s *Server) reportParams(r reportRequest, zone *time.Location) (report.Params, error) {
	now := s.now()
	p := report.Params{GroupBy: r.GroupBy, Zone: zone, Now: now, Queues: r.Queues, Agents: r.Agents, Source: r.Sources}
	if p.GroupBy == "" {
		p.GroupBy = call.GroupTotal
	}
	if !slices.Contains([]string{call.GroupTotal, call.GroupHour, call.GroupDay}, p.GroupBy) {
		return p, fmt.Errorf("group_by must be total, hour or day")
	}
	p.From = midnight(now.In(zone))
	p.To = p.From.AddDate(0, 0, 1)
	var err error
	if r.From != "" {
		if p.From, err = time.Parse(time.RFC3339, r.From); err != nil {
			return p, fmt.Errorf("from must be an RFC 3339 time, e.g. 2026-03-10T00:00:00+03:30")
		}
	}
	if r.To != "" {
		if p.To, err = time.Parse(time.RFC3339, r.To); err != nil {
			return p, fmt.Errorf("to must be an RFC 3339 time, e.g. 2026-03-11T00:00:00+03:30")
		}
	} else if r.From != "" {
		p.To = p.From.AddDate(0, 0, 1)
	}
	switch span := p.To.Sub(p.From); {
	case span <= 0:
		return p, fmt.Errorf("to must be after from")
	case span > maxReportDays*24*time.Hour:
		return p, fmt.Errorf("a report covers at most %d days", maxReportDays)
	case p.GroupBy == call.GroupHour && span > maxReportHourDays*24*time.Hour:
		return p, fmt.Errorf("a report by hour covers at most %d days; group by day", maxReportHourDays)
	}
	return p, nil
}

// reportsBuildingMsg answers a report asked for while the buckets are being built.
const reportsBuildingMsg = "reports are being built from the stored calls and the event log; try again in a minute"

// reportsBuilding says the report buckets are being (re)built: a report now would
// count only part of the calls.
func (s *Server) reportsBuilding() bool { return s.board.cdrs.building.Load() }

// reports is the report reader over the store, the board and the configuration.
func (s *Server) reports() *report.Reader {
	names := s.board.agentNames()
	return &report.Reader{
		Store: s.store,
		Rules: report.RulesOf(liveConfig(s.cfg())),
		Name: func(kind byte, id string) string {
			if kind == report.KindAgent {
				return names[id]
			}
			for _, q := range s.cfg().Queues {
				if q.ID == id {
					return q.Name
				}
			}
			return ""
		},
		Active: func() []call.Call {
			var out []call.Call
			s.board.read(func(b *live.Board) { out = b.Calls() })
			return out
		},
		Known: func(kind byte) []string {
			var out []string
			if kind == report.KindQueue { // what the wallboard lists
				s.board.read(func(b *live.Board) {
					for _, q := range b.Queues(s.now()) {
						out = append(out, q.ID)
					}
				})
				return out
			}
			for _, a := range s.cfg().Agents {
				out = append(out, a.ID)
			}
			return out
		},
	}
}

func (s *Server) apiReport(kind byte) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, _ := c.Locals("user").(*config.User)
		var req reportRequest
		if body := c.Body(); len(body) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				return apiError(c, fiber.StatusBadRequest, "body must be a JSON object: "+err.Error())
			}
		}
		p, err := s.reportParams(req, s.zoneOf(u))
		if err != nil {
			return apiError(c, fiber.StatusBadRequest, err.Error())
		}
		if s.reportsBuilding() {
			return apiError(c, fiber.StatusServiceUnavailable, reportsBuildingMsg)
		}
		var data any
		if kind == report.KindQueue {
			data, err = s.reports().Queues(p)
		} else {
			data, err = s.reports().Agents(p)
		}
		if err != nil {
			s.log.Error("report failed", "err", err)
			return apiError(c, fiber.StatusServiceUnavailable, msgStoreUnavailable)
		}
		return c.JSON(envelope{Success: 1, Data: data})
	}
}
