package server

// POST /api/v1/cdrs/search, in the Simotel API's search shape.

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/store"
)

// cdrSearch is POST /api/v1/cdrs/search, in the Simotel API's search shape.
type cdrSearch struct {
	Conditions struct {
		Number, Agent, Queue, Source, Direction, Disposition string
		From, To                                             *time.Time
	} `json:"conditions"`
	Pagination struct {
		Start   int            `json:"start"`
		Count   int            `json:"count"`
		Sorting map[string]int `json:"sorting,omitempty"`
	} `json:"pagination"`
}

func (s *Server) apiCDRSearch(c *fiber.Ctx) error {
	var req cdrSearch
	if len(c.Body()) > 0 {
		if err := json.Unmarshal(c.Body(), &req); err != nil {
			return apiError(c, fiber.StatusBadRequest, msgUnparsable)
		}
	}
	p := &req.Pagination
	if p.Count <= 0 {
		p.Count = store.DefaultCount
	}
	if p.Count > 1000 {
		p.Count = 1000
	}
	if p.Start < 0 {
		p.Start = 0
	}
	q := store.Query{
		Number: req.Conditions.Number, Agent: req.Conditions.Agent, Queue: req.Conditions.Queue,
		Source: req.Conditions.Source, Direction: req.Conditions.Direction, Disposition: req.Conditions.Disposition,
		Start: p.Start, Count: p.Count,
	}
	if t := req.Conditions.From; t != nil {
		q.From = *t
	}
	if t := req.Conditions.To; t != nil {
		q.To = *t
	}
	if !datesInRange(q) {
		return apiError(c, fiber.StatusBadRequest, badDateRange)
	}
	for k, v := range p.Sorting {
		if k == "ended_at" || k == "started_at" || k == "date" {
			q.Asc = v > 0
		}
	}
	if p.Sorting == nil {
		p.Sorting = map[string]int{"ended_at": -1}
	}
	rows, total, err := s.store.SearchCDRs(q)
	if err != nil {
		return apiError(c, fiber.StatusServiceUnavailable, msgStoreUnavailable)
	}
	return c.JSON(envelope{Success: 1, Data: fiber.Map{
		"pagination": fiber.Map{"start": p.Start, "count": p.Count, "sorting": p.Sorting, "total": total},
		"data":       nonNil(s.playables(rows)),
	}})
}
