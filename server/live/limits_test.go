package live

import (
	"fmt"
	"testing"
	"time"

	"ringside/server/call"
)

// TestCallEventsBounded: a source tells one call 1,200 events (each a ring at another
// extension). The board folds the first 1,000 (legs capped at 500), so each further
// ring costs nothing; the call's answer and end still apply.
func TestCallEventsBounded(t *testing.T) {
	b := New(testConfig())
	id := "pbx1:abuse"
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	ev := func(i int, typ call.Type) call.Event {
		return call.Event{Source: "pbx1", Vendor: "simotel", Name: "Ring", Type: typ, Call: id,
			Agent: fmt.Sprintf("pbx1:%d", 1000+i), At: at.Add(time.Duration(i) * time.Millisecond), ReceivedAt: at}
	}
	b.Apply(call.Event{Source: "pbx1", Vendor: "simotel", Name: "IncomingCall", Type: call.CallOffered, Call: id, From: "0912", At: at, ReceivedAt: at})
	for i := 1; i < 1200; i++ {
		b.Apply(ev(i, call.LegRinging))
	}
	if n := len(b.calls[id].events); n != maxEventsPerCall {
		t.Errorf("the call holds %d events, want %d", n, maxEventsPerCall)
	}
	if c := callOf(t, b, id); len(c.Legs) != maxLegs {
		t.Errorf("the call shows %d legs, want %d", len(c.Legs), maxLegs)
	}
	b.Apply(ev(1201, call.CallAnswered))
	if c, _ := b.Call(id); c.State != call.StateAnswered {
		t.Errorf("a full call's answer did not apply: %s", c.State)
	}
	b.Apply(ev(1202, call.CallEnded))
	if c, _ := b.Call(id); c.State != call.StateEnded {
		t.Errorf("a full call's end did not apply: %s", c.State)
	}
}
