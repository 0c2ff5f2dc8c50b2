package server

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/sim"
)

// Calls told by part of their events. Each test states what the API should show of a
// call whose other events were lost or never sent; the goldens (scenario_test.go)
// record the whole stories.

// A VOIPEX call transferred by AttendedTransfer: the target's only event is the final
// Hangup (and the CDR) naming them. The call's agent becomes the target, yet the leg
// the hangup makes for them is a "cancel" without a start, as if they had been rung and
// lost the race; it should be their answered part of the call, from the transfer on.
func TestTransferTargetLegIsAnswered(t *testing.T) {
	st := story("voipex", sim.Transfer, 101, storyT0)
	e, src := playStories(t, "voipex", time.Time{}, st)
	c := e.call(storyCallID(src, st))
	if c.Agent != "ipex:jana.dvorakova" {
		t.Fatalf("agent %q, want the transfer target", c.Agent)
	}
	var leg *call.Leg
	for i := range c.Legs {
		if c.Legs[i].Agent == c.Agent {
			leg = &c.Legs[i]
		}
	}
	at := storyT0.Add(st.TransferAt)
	if leg == nil || leg.Outcome != call.OutcomeAnswer || leg.StartedAt == nil || !leg.StartedAt.Equal(at) {
		t.Errorf("the transfer target's leg is %s, want outcome answer from the transfer at %s", jsonText(leg), at.Format(time.TimeOnly))
	}
}

// A call known only from SipSim's incoming_call_end (the call's other events lost, or
// a record-only story): the event says when it ended and how long it lasted. The call
// starts at its end (started_at = ended_at) and its wait is 0, which "today" counts as
// answered at once (ASA 0 s, service level met). It started duration_s before its end,
// and the time until its answer is unknown.
func TestEndOnlyCallStartsBeforeItsEnd(t *testing.T) {
	st := story("sipsim", sim.RecordOnly, 101, storyT0)
	e, src := playStories(t, "sipsim", time.Time{}, st)
	c := e.call(storyCallID(src, st))
	if c.StartedAt == nil || !c.StartedAt.Equal(storyT0) {
		t.Errorf("started at %v, want %s (ended %v, %v s long)", c.StartedAt, storyT0, c.EndedAt, *c.DurationS)
	}
	if c.WaitS != nil {
		t.Errorf("wait_s %v for an answered call whose answer time nobody sent", *c.WaitS)
	}
}

// A VOIPEX CDR alone (the live events lost, or a record-only story) carries no time: the
// ended call has neither started_at nor ended_at, so its stored CDR sorts at the zero
// time, after every other call, and no time-range search ever finds it. An ended call
// needs an end time: at worst, when its record arrived.
func TestRecordAloneHasTimes(t *testing.T) {
	st := story("voipex", sim.RecordOnly, 101, storyT0)
	e, src := playStories(t, "voipex", time.Time{}, st)
	id := storyCallID(src, st)
	c := e.call(id)
	if c.State != call.StateEnded || c.EndedAt == nil {
		t.Errorf("%s: state %s, ended_at %v", id, c.State, c.EndedAt)
	}
	p := e.searchCDRs(map[string]any{"conditions": map[string]any{"from": storyT0, "to": storyT0.Add(time.Hour)}})
	if got := pageIDs(t, p); !slices.Equal(got, []string{id}) {
		t.Errorf("the hour of the call finds %v", got)
	}
}

// The timeline of GET /api/v1/calls/{id} is the stored events as they are, recordings
// included: the Simotel file name, the SipSim audio_path URL, the cloudcdr recording id.
// call.Recording says the vendor's reference never leaves the server (recordings are
// played through /recordings/{call}/{n} only).
func TestTimelineKeepsRecordingRefsInside(t *testing.T) {
	for _, vendor := range []string{"simotel", "sipsim", "cloudcdr"} {
		st := story(vendor, sim.QueueAnswered, 101, storyT0)
		e, src := playStories(t, vendor, time.Time{}, st)
		var c call.Call
		if err := json.Unmarshal(e.get("/api/v1/calls/"+storyCallID(src, st)), &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Recordings) == 0 {
			t.Fatalf("%s: no recording", vendor)
		}
		for _, ev := range c.Events {
			if len(ev.Recordings) > 0 {
				t.Errorf("%s: the timeline's %s shows the vendor's recording %q", vendor, ev.Name, ev.Recordings)
			}
		}
	}
}

// An agent placing an outbound call is busy from the moment they dial. VOIPEX (NewCall)
// and SipSim (outgoing_call_start) name them, yet until the callee answers the agent is
// "available" (with no state_since) and counted as available in their queues; Simotel's
// own device state says InUse, which shows on_call, but without the call.
func TestDialingAgentIsOnTheCall(t *testing.T) {
	for _, vendor := range []string{"simotel", "voipex", "sipsim"} {
		st := story(vendor, sim.Outbound, 101, storyT0)
		e, src := playStories(t, vendor, storyT0.Add(5*storySec), st)
		var agents []call.Agent
		json.Unmarshal(e.get("/api/v1/agents"), &agents)
		for _, a := range agents {
			if a.ID == "petr" && (a.State != call.StateOnCall || a.Call != storyCallID(src, st)) {
				t.Errorf("%s: petr dialing out is %s on call %q (since %v), want on_call on %s", vendor, a.State, a.Call, a.StateSince, storyCallID(src, st))
			}
		}
	}
}
