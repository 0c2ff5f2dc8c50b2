package call

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTimesHaveMilliseconds(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("IRST", 12600))
	c := Call{ID: "p:1", State: StateEnded, StartedAt: &at, Legs: []Leg{{Agent: "a", StartedAt: &at}},
		Transfers: []Transfer{{From: "1", To: "2", At: at}}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Count(s, `"2026-01-01T23:34:05.000Z"`) != 3 || strings.Contains(s, "answered_at") {
		t.Fatalf("times not RFC 3339 UTC with ms, or an absent time printed: %s", s)
	}
	var back Call
	if err := json.Unmarshal(b, &back); err != nil || !back.StartedAt.Equal(at) || !back.Legs[0].StartedAt.Equal(at) {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	a, _ := json.Marshal(Agent{ID: "x", StateSince: &at})
	if !strings.Contains(string(a), `"state_since":"2026-01-01T23:34:05.000Z"`) {
		t.Fatal(string(a))
	}
}
