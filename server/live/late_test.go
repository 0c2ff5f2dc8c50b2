package live

import (
	"testing"
	"time"

	"ringside/server/call"
)

// TestLateOldRecordEndsItsCall: a post-call record dated days before the board's clock
// ends its call (so the server stores its CDR), both as a fresh board's first event and
// as the event that moves an older board's daily cutoff.
func TestLateOldRecordEndsItsCall(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 5, 0, time.UTC)
	old := now.Add(-5 * 24 * time.Hour)
	record := func(id string, received time.Time) call.Event {
		return call.Event{Source: "pbx1", Vendor: "simotel", Name: "Cdr", Type: call.CallRecord, Call: "pbx1:" + id,
			At: old.Add(time.Minute), ReceivedAt: received, Direction: call.Inbound, From: "0912", Disposition: call.Answered,
			StartedAt: call.T(old), EndedAt: call.T(old.Add(time.Minute))}
	}
	yesterday := New(Config{})
	yesterday.Apply(call.Event{Source: "pbx1", Name: "NewState", Type: call.AgentState, Agent: "pbx1:991",
		AgentState: call.StateAvailable, At: now.Add(-time.Hour), ReceivedAt: now.Add(-time.Hour)})
	for name, b := range map[string]*Board{"fresh board": New(Config{}), "cutoff moves": yesterday} {
		ended := false
		for _, ch := range b.Apply(record(name, now)) {
			ended = ended || (ch.Kind == KindCall && ch.Ended)
		}
		c, ok := b.Call("pbx1:" + name)
		if !ended || !ok || c.State != call.StateEnded {
			t.Errorf("%s: ended change %v, call kept %v (%s)", name, ended, ok, c.State)
		}
	}
}
