package server

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
)

func (s *Server) apiCalls(c *fiber.Ctx) error {
	var out []call.Call
	s.board.read(func(b *live.Board) { out = b.Calls() })
	return s.boardJSON(c, nonNil(out))
}

// apiCall answers one call, live or stored, with its timeline.
func (s *Server) apiCall(c *fiber.Ctx) error {
	cl, ok, err := s.findCall(pathParam(c, "id"))
	if err != nil {
		return apiError(c, fiber.StatusServiceUnavailable, msgStoreUnavailable)
	}
	if !ok {
		return apiError(c, fiber.StatusNotFound, "no such call")
	}
	return s.boardJSON(c, cl)
}

// findCall looks on the board first, then in the CDR store, and adds the timeline.
func (s *Server) findCall(id string) (call.Call, bool, error) {
	var cl call.Call
	var ok bool
	s.board.read(func(b *live.Board) { cl, ok = b.Call(id) })
	if !ok {
		var err error
		if cl, ok, err = s.store.CDR(id); err != nil || !ok {
			return cl, ok, err
		}
	}
	evs, err := s.store.CallEvents(id)
	if err != nil {
		return cl, true, err
	}
	for i := range evs {
		evs[i].Recordings = nil // vendor references never leave the server; cl.Recordings has our URLs
	}
	cl.Events = evs
	cl.Voicemails = s.voicemailsOfCall(id)
	return s.playable(cl), true, nil
}

func (s *Server) apiAgents(c *fiber.Ctx) error {
	var out []call.Agent
	s.board.read(func(b *live.Board) { out = b.Agents() })
	return s.boardJSON(c, nonNil(out))
}

func (s *Server) apiQueues(c *fiber.Ctx) error {
	var out []call.Queue
	now := s.now()
	s.board.read(func(b *live.Board) { out = b.Queues(now) })
	return s.boardJSON(c, nonNil(out))
}

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

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
