package call

import (
	"testing"
	"time"
)

// WithTimes maps every time an event carries, keeps nil times nil, leaves ReceivedAt,
// and copies the legs: the original event is unchanged.
func TestWithTimes(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	e := Event{At: at, ReceivedAt: at, StartedAt: T(at), EndedAt: T(at.Add(time.Minute)),
		Legs: []Leg{{Agent: "a", StartedAt: T(at)}}}
	hour := func(t time.Time) time.Time { return t.Add(time.Hour) }
	got := e.WithTimes(hour)
	if !got.At.Equal(at.Add(time.Hour)) || !got.StartedAt.Equal(at.Add(time.Hour)) ||
		!got.EndedAt.Equal(at.Add(time.Hour+time.Minute)) || !got.Legs[0].StartedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("times not all mapped: %+v", got)
	}
	if got.AnsweredAt != nil || got.Legs[0].EndedAt != nil || !got.ReceivedAt.Equal(at) {
		t.Errorf("nil times or ReceivedAt changed: %+v", got)
	}
	if !e.Legs[0].StartedAt.Equal(at) || !e.StartedAt.Equal(at) {
		t.Errorf("the original event changed: %+v", e)
	}
}
