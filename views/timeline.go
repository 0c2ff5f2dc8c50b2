package views

import (
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

func agentOf(c call.Call, names Names) string {
	if c.Agent == "" {
		return ""
	}
	return names.Of(c.Agent)
}

func legBadge(l call.Leg) string {
	switch l.Outcome {
	case call.OutcomeAnswer:
		return "answered"
	case "":
		if l.EndedAt == nil {
			return "ringing"
		}
		return "ended"
	case call.OutcomeCancel, call.OutcomeOther:
		return "ended"
	}
	return "missed"
}

func hmsMillis(loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("15:04:05.000")
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// eventDetail summarizes the facts an event carries.
func eventDetail(e call.Event) string {
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	add("agent ", e.Agent)
	if e.From != "" || e.To != "" {
		parts = append(parts, orDash(e.From)+" → "+orDash(e.To))
	}
	add("queue ", e.Queue)
	add("state ", string(e.AgentState))
	add("reason ", e.PauseReason)
	add("outcome ", string(e.Outcome))
	add("disposition ", string(e.Disposition))
	add("", e.HangupReason)
	if e.TransferFrom != "" || e.TransferTo != "" {
		parts = append(parts, "transfer "+orDash(e.TransferFrom)+" → "+orDash(e.TransferTo))
	}
	if e.TalkS != nil {
		parts = append(parts, "talk "+secs(*e.TalkS))
	}
	if len(e.Recordings) > 0 {
		parts = append(parts, "recording")
	}
	add("rating ", e.Rating)
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " · ")
}

type synthEvent struct {
	At   time.Time
	Kind string
	Text string
}

// synthTimeline rebuilds a timeline from the call's facts when the events are not at hand.
func synthTimeline(c call.Call, names Names) []synthEvent {
	var ev []synthEvent
	add := func(t *time.Time, kind, text string) {
		if t != nil {
			ev = append(ev, synthEvent{*t, kind, text})
		}
	}
	add(c.StartedAt, "call.offered", orDash(c.From)+" → "+orDash(c.To))
	for _, l := range c.Legs {
		add(l.StartedAt, "leg.ringing", names.Of(l.Agent))
		add(l.EndedAt, "leg.ended", names.Of(l.Agent)+" · "+legText(l))
	}
	add(c.AnsweredAt, "call.answered", orDash(agentOf(c, names)))
	for _, t := range c.Transfers {
		add(&t.At, "call.transferred", t.From+" → "+t.To)
	}
	end := orDash(string(c.Disposition))
	if c.HangupReason != "" {
		end += " · " + c.HangupReason
	}
	add(c.EndedAt, "call.ended", end)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}
