package server

import (
	"testing"
	"time"

	"ringside/server/call"
)

func TestJustEndedKeepsTheLatestCardOnly(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) *time.Time { x := now.Add(-ago); return &x }
	recent := []call.Call{ // newest first, as the store answers
		{ID: "other", Agent: "jana", EndedAt: at(2 * time.Second)}, // rang petr, answered by jana
		{ID: "new", Agent: "petr", EndedAt: at(10 * time.Second)},
		{ID: "old", Agent: "petr", EndedAt: at(20 * time.Second)},
	}
	if c, ok := justEnded(recent, "petr", now, 30); !ok || c.ID != "new" {
		t.Errorf("within 30 s: %q %v, want the latest of petr's own calls", c.ID, ok)
	}
	if c, ok := justEnded(recent, "petr", now, 5); ok {
		t.Errorf("the latest ended 10 s ago, kept 5 s: got %q", c.ID)
	}
	if _, ok := justEnded(nil, "petr", now, 30); ok {
		t.Error("no calls: a card")
	}
}
