package server

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"ringside/server/live"
	"ringside/store"
	"ringside/views"
)

// The call records page (/cdrs): the search form and one page of records.

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
