package server

import (
	"context"
	"testing"
	"time"

	"ringside/server/sim"
)

// An agent who calls back a number sees on the pop-up the earlier calls with that
// number: the history of an outbound call is looked up by the callee, not by the
// agent's own extension (which every call of theirs carries).
func TestOutboundPopHistoryIsTheCallees(t *testing.T) {
	for _, vendor := range []string{"simotel", "voipex", "sipsim"} {
		earlier := story(vendor, sim.QueueAnswered, 101, storyT0)
		out := story(vendor, sim.Outbound, 102, storyT0.Add(10*time.Minute))
		out.Caller = earlier.Caller // the agent calls the earlier caller back
		e, src := playStories(t, vendor, out.Start.Add(30*storySec), earlier, out)
		d := e.srv.agentData(context.Background(), "petr")
		outID, earlierID := storyCallID(src, out), storyCallID(src, earlier)
		found := false
		for _, c := range d.Pops {
			found = found || c.ID == outID
		}
		if !found {
			t.Fatalf("%s: petr's pop-ups %v lack the outbound call %s", vendor, d.Pops, outID)
		}
		hist := d.History[earlier.Caller]
		if len(hist) != 1 || hist[0].ID != earlierID {
			t.Errorf("%s: history of %s on the outbound pop-up is %v, want the earlier call %s", vendor, earlier.Caller, hist, earlierID)
		}
	}
}
