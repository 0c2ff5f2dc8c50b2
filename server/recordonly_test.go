package server

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/sim"
)

// extraStories are the calls whose deliveries repeat on purpose, in this order: a second ring round at
// the same agent (every vendor), an overflow to a second queue (Simotel) and a
// supervisor listening in (VOIPEX).
func extraStories(vendor string, start time.Time) []sim.Story {
	round := story(vendor, sim.QueueAnswered, 108, start)
	round.Chain = []sim.Attempt{attempt(simPetr, 2, 17, call.OutcomeNoAnswer), attempt(simJana, 18, 33, call.OutcomeNoAnswer),
		attempt(simPetr, 34, 40, call.OutcomeAnswer)}
	round.Agent, round.Answer, round.End = simPetr, 40*storySec, 140*storySec
	out := []sim.Story{round}
	switch vendor {
	case "simotel":
		over := story(vendor, sim.QueueAnswered, 109, start.Add(20*storySec))
		over.Overflow, over.OverflowAt = "901", 19*storySec
		out = append(out, over)
	case "voipex":
		barged := story(vendor, sim.QueueAnswered, 110, start.Add(40*storySec))
		p := simPetr
		barged.Monitor, barged.MonitorAt, barged.MonitorEnd = &p, 40*storySec, 80*storySec
		out = append(out, barged)
	}
	return out
}

// recordFacts are the facts of a call every vendor's final record carries; the
// exceptions are what a vendor's record does not say (see TestRecordAloneIsTheCall).
type recordFacts struct {
	State, From, To, DID, Queue, Agent string
	Direction                          call.Direction
	Disposition                        call.Disposition
	StartedAt, AnsweredAt, EndedAt     *time.Time
	TalkS, DurationS                   *float64
	Transfers                          int
}

func factsOf(c call.Call, vendor string) recordFacts {
	f := recordFacts{State: c.State, Direction: c.Direction, From: c.From, To: c.To, DID: c.DID, Queue: c.Queue,
		Agent: c.Agent, Disposition: c.Disposition, StartedAt: c.StartedAt, AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt,
		TalkS: c.TalkS, DurationS: c.DurationS, Transfers: len(c.Transfers)}
	switch vendor {
	case "voipex": // its CDR carries no time: the call's times are the live events'
		f.StartedAt, f.AnsweredAt, f.EndedAt, f.TalkS, f.DurationS = nil, nil, nil, nil, nil
		f.Transfers = 0 // nor the transfer
	case "sipsim": // its end names the department, not who answered, nor when
		f.Agent, f.AnsweredAt, f.TalkS, f.Transfers = "", nil, nil, 0
	case "simotel": // its Cdr tells no transfer (the Transfer event does)
		f.Transfers = 0
	}
	return f
}

// TestRecordAloneIsTheCall: for every call scenario of every vendor, the final records
// alone (the live events lost) give the same call as the whole live sequence: the same
// parties, queue, agent, disposition and times, as far as the vendor's record says them.
func TestRecordAloneIsTheCall(t *testing.T) {
	kinds := []sim.Kind{sim.QueueAnswered, sim.Missed, sim.AllBusy, sim.Transfer, sim.Outbound}
	for _, vendor := range sim.Vendors() {
		t.Run(vendor, func(t *testing.T) {
			var full []sim.Story
			for i, k := range kinds {
				full = append(full, story(vendor, k, 101+i, storyT0.Add(time.Duration(i)*5*time.Minute)))
			}
			full = append(full, extraStories(vendor, storyT0.Add(30*time.Minute))...)
			var only []sim.Story
			for _, st := range full {
				r := st
				r.ID = "r" + st.ID
				r.Of, r.Kind = st.Kind, sim.RecordOnly
				only = append(only, r)
			}
			e, src := playStories(t, vendor, time.Time{}, append(full, only...)...)
			for i, st := range full {
				a, b := e.call(storyCallID(src, st)), e.call(storyCallID(src, only[i]))
				fa, fb := factsOf(a, vendor), factsOf(b, vendor)
				if testing.Verbose() {
					t.Logf("%s %s: %s", vendor, st.Kind, jsonOf(fb))
				}
				if ja, jb := jsonOf(fa), jsonOf(fb); ja != jb {
					t.Errorf("%s (%s): the record alone gives\n%s\nthe live sequence\n%s", st.Kind, st.ID, jb, ja)
				}
			}
		})
	}
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}
