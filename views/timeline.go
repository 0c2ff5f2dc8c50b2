package views

import (
	"context"
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

// hmsMillis is a timeline time in the person's zone and digits, with milliseconds.
func hmsMillis(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	l := loc(ctx)
	return l.Digits(t.In(l.Zone).Format("15:04:05.000"))
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// toArrow points from one party to the next in the reading direction: → in
// left-to-right languages, ← in right-to-left ones.
func toArrow(ctx context.Context) string {
	if loc(ctx).Dir() == "rtl" {
		return "←"
	}
	return "→"
}

// detailPart is one fact of a timeline entry: a label from the catalog and a value
// that is vendor data (shown as sent), a phone number, or already in the person's
// language. From and To, when set, are two parties joined by an arrow.
type detailPart struct {
	Label    string
	Value    string
	Vendor   bool // Value is vendor data (names, queues, reasons)
	From, To string
}

// eventDetail lists the facts an event carries, in the person's language.
func eventDetail(ctx context.Context, e call.Event) []detailPart {
	var parts []detailPart
	add := func(key, v string, vendor bool) {
		if v != "" {
			parts = append(parts, detailPart{Label: t(ctx, key), Value: v, Vendor: vendor})
		}
	}
	add("tl_agent", e.Agent, true)
	if e.From != "" || e.To != "" {
		parts = append(parts, detailPart{From: orDash(e.From), To: orDash(e.To)})
	}
	add("tl_queue", e.Queue, true)
	if e.AgentState != "" {
		add("tl_state", stateLabel(ctx, e.AgentState), false)
	}
	add("tl_reason", e.PauseReason, true)
	if e.Outcome != "" {
		add("tl_outcome", legTextIn(ctx, call.Leg{Outcome: e.Outcome}), false)
	}
	if e.Disposition != "" {
		add("tl_disposition", dispositionText(ctx, e.Disposition), false)
	}
	if e.HangupReason != "" {
		parts = append(parts, detailPart{Value: e.HangupReason, Vendor: true})
	}
	if e.TransferFrom != "" || e.TransferTo != "" {
		parts = append(parts, detailPart{Label: t(ctx, "tl_transfer"), From: orDash(e.TransferFrom), To: orDash(e.TransferTo)})
	}
	if e.TalkS != nil {
		add("tl_talk", dur(ctx, secsDur(*e.TalkS)), false)
	}
	if len(e.Recordings) > 0 {
		parts = append(parts, detailPart{Label: t(ctx, "tl_recording")})
	}
	add("tl_rating", e.Rating, true)
	return parts
}

// eventName is an event type as people read it; the type itself for types without
// a name in the catalogs.
func eventName(ctx context.Context, typ string) string {
	switch call.Type(typ) {
	case call.CallOffered, call.LegRinging, call.LegEnded, call.CallAnswered, call.CallEnded,
		call.CallRecord, call.CallTransferred, call.TransferCancelled, call.CallExpired,
		call.CallRated, call.VoicemailSaved, call.CallbackDone, call.CallbackTaken:
		return t(ctx, "ev_"+strings.NewReplacer(".", "_").Replace(typ))
	}
	return ""
}

type synthEvent struct {
	At    time.Time
	Kind  string
	Parts []detailPart
}

// synthTimeline rebuilds a timeline from the call's facts when the events are not at hand.
func synthTimeline(ctx context.Context, c call.Call, names Names) []synthEvent {
	var ev []synthEvent
	add := func(t *time.Time, kind string, parts ...detailPart) {
		if t != nil {
			ev = append(ev, synthEvent{*t, kind, parts})
		}
	}
	add(c.StartedAt, "call.offered", detailPart{From: orDash(c.From), To: orDash(c.To)})
	for _, l := range c.Legs {
		add(l.StartedAt, "leg.ringing", detailPart{Value: names.Of(l.Agent), Vendor: true})
		add(l.EndedAt, "leg.ended", detailPart{Value: names.Of(l.Agent), Vendor: true}, detailPart{Value: legTextIn(ctx, l)})
	}
	add(c.AnsweredAt, "call.answered", detailPart{Value: orDash(agentOf(c, names)), Vendor: true})
	for _, tr := range c.Transfers {
		add(&tr.At, "call.transferred", detailPart{From: tr.From, To: tr.To})
	}
	end := []detailPart{{Value: dispositionText(ctx, c.Disposition)}}
	if c.HangupReason != "" {
		end = append(end, detailPart{Value: c.HangupReason, Vendor: true})
	}
	add(c.EndedAt, "call.ended", end...)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}
