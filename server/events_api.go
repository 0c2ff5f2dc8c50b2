package server

// GET /api/v1/events: the event log, page by page.

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
)

// logEvent is one line of GET /api/v1/events.
type logEvent struct {
	Seq        uint64    `json:"seq"`
	Source     string    `json:"source"`
	Vendor     string    `json:"vendor"`
	Name       string    `json:"name"`
	Type       call.Type `json:"type"`
	Call       string    `json:"call,omitempty"`
	Agent      string    `json:"agent,omitempty"`
	At         string    `json:"at"`
	ReceivedAt string    `json:"received_at"`
}

// apiEvents pages through the event log: ?after=SEQ&limit=N (default 100, at most 1000).
func (s *Server) apiEvents(c *fiber.Ctx) error {
	after, err := strconv.ParseUint(c.Query("after", "0"), 10, 64)
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, "after must be a sequence number")
	}
	limit, err := strconv.Atoi(c.Query("limit", "100"))
	if err != nil || limit < 1 {
		return apiError(c, fiber.StatusBadRequest, "limit must be a positive number")
	}
	if limit > 1000 {
		limit = 1000
	}
	evs, err := s.store.Events(after, limit)
	if err != nil {
		return apiError(c, fiber.StatusServiceUnavailable, msgStoreUnavailable)
	}
	out := make([]logEvent, len(evs))
	for i, e := range evs {
		out[i] = logEvent{Seq: e.Seq, Source: e.Source, Vendor: e.Vendor, Name: e.Name, Type: e.Type, Call: e.Call, Agent: e.Agent, At: stamp(e.At), ReceivedAt: stamp(e.ReceivedAt)}
	}
	return c.JSON(envelope{Success: 1, Data: out})
}

// stamp formats a time as the API's JSON wants: RFC 3339, UTC, milliseconds.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
