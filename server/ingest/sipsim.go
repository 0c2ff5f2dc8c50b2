package ingest

// SipSim.by real-time call notifications: one event per request, as a
// legacy GET query or POST form, or as the newer platform's signed POST JSON (the HTTP
// layer checks the signature, and a signed delivery is read from its body alone: query
// or path fields are never merged into it). "receiver" is the department number on
// incoming_call_start/end but the ringing or answering manager on the chain-member
// events and on incoming_call_answer.
//
// Deliveries may be duplicated; the documented dedupe key is event + pbx_id, plus
// receiver on the chain-member events. A chain may ring the same manager twice in one
// call (a second ring round), so those keys also carry the event's time: a retry sends
// the same time, the next round another.

import (
	"fmt"
	"strings"
	"time"

	"ringside/server/call"
)

func init() {
	register(Vendor{Name: "sipsim", Order: 4, Decode: decodeSipSim, Auth: AuthToken, NoPresence: true,
		Fixtures: []Fixture{{Source: "sipsim", Zone: "Europe/Minsk"}}})
}

// sipsimCallEvents carry a call and are useless without pbx_id.
var sipsimCallEvents = map[string]bool{
	"incoming_call_start": true, "incoming_call_start_chain_member_call": true,
	"incoming_call_end_chain_member_call": true, "incoming_call_answer": true, "incoming_call_end": true,
	"outgoing_call_start": true, "outgoing_call_answer": true, "outgoing_call_end": true,
}

func decodeSipSim(src Source, req Request) (Result, error) {
	if req.Signed { // the signature covers the body alone: nothing else may add a field
		req.Query, req.Event = nil, ""
	}
	f, err := parseFields(req)
	if err != nil {
		return Result{}, err
	}
	name := f.get("event")
	if name == "" {
		name = req.Event // a legacy installation may point each event at its own URL
	}
	if name == "" {
		return Result{}, fmt.Errorf("%w: sipsim: no event field", ErrUndecodable)
	}
	ev := strings.ToLower(strings.TrimSpace(name))
	id := f.get("pbx_id")
	if id == "" && sipsimCallEvents[ev] {
		return Result{}, fmt.Errorf("%w: sipsim: %s without pbx_id (the call id)", ErrUndecodable, name)
	}
	caller, receiver := sipsimPhone(f.get("caller")), sipsimPhone(f.get("receiver"))
	ids := func(v string) string {
		if v == "" {
			return ""
		}
		return src.Name + ":" + v
	}

	e := call.Event{Name: name, Call: ids(id)}
	if t, ok := sipsimTime(f.get("time"), src.Location); ok {
		e.At = t
	}
	at := call.T(e.At)
	switch ev {
	case "incoming_call_start":
		e.Type, e.Direction, e.StartedAt = call.CallOffered, call.Inbound, at
		e.From, e.To, e.DID, e.Queue = caller, receiver, receiver, ids(receiver)
	case "incoming_call_start_chain_member_call":
		e.Type, e.Direction, e.From, e.Agent = call.LegRinging, call.Inbound, caller, ids(receiver)
	case "incoming_call_end_chain_member_call":
		e.Type, e.Direction, e.From, e.Agent = call.LegEnded, call.Inbound, caller, ids(receiver)
		e.Outcome = sipsimOutcome(f.get("status"))
	case "incoming_call_answer":
		e.Type, e.Direction, e.From, e.Agent, e.AnsweredAt = call.CallAnswered, call.Inbound, caller, ids(receiver), at
	case "incoming_call_end":
		e.Type, e.Direction, e.EndedAt = call.CallEnded, call.Inbound, at
		e.From, e.To, e.DID, e.Queue = caller, receiver, receiver, ids(receiver)
		sipsimEnd(&e, f)
	case "outgoing_call_start":
		e.Type, e.Direction, e.StartedAt = call.CallOffered, call.Outbound, at
		e.From, e.To, e.Agent = caller, receiver, ids(caller)
	case "outgoing_call_answer":
		e.Type, e.Direction, e.AnsweredAt = call.CallAnswered, call.Outbound, at
		e.From, e.To, e.Agent = caller, receiver, ids(caller)
	case "outgoing_call_end":
		e.Type, e.Direction, e.EndedAt = call.CallEnded, call.Outbound, at
		e.From, e.To, e.Agent = caller, receiver, ids(caller)
		sipsimEnd(&e, f)
	case "rating":
		// No To: who receiver is on a rating is not documented, and it must not
		// overwrite the call's department number.
		e.Type, e.From = call.CallRated, caller
		e.Rating = f.get("rating", "rate", "score", "value")
	case "voicemail":
		// Left on the call pbx_id; its recording, like a call's, is audio_path.
		e.Type, e.From, e.To, e.Voicemail = call.VoicemailSaved, caller, receiver, id
		sipsimEnd(&e, f)
		e.Disposition = ""
	case "sms", "summary", "test":
		e.Type, e.From, e.To = call.Other, caller, receiver
	default:
		e.Type = call.Unknown
	}
	res := Result{Events: []call.Event{e}}
	if id != "" { // the documented dedupe key; receiver tells chain members apart
		res.Key = name + ":" + id + ":" + receiver
		if strings.Contains(ev, "chain_member") {
			// A chain may ring the same manager again (a second ring round): the round's
			// time tells it apart, and a retry repeats the time it was sent with.
			res.Key += ":" + f.get("time")
		}
	}
	return res, nil
}

// sipsimEnd fills the final facts of a *_call_end event.
func sipsimEnd(e *call.Event, f fields) {
	e.Disposition = sipsimDisposition(f.get("status"))
	e.DurationS = num(f.get("duration"))
	if p := strings.TrimSpace(f.get("audio_path")); p != "" && p != "null" {
		e.Recordings = []string{p}
	}
}

// sipsimOutcome maps a chain member's status; newer platforms send uppercase and MISSED.
func sipsimOutcome(status string) call.Outcome {
	switch s := strings.ToLower(strings.TrimSpace(status)); s {
	case "":
		return ""
	case "cancel", "answer", "noanswer", "busy", "unavailable":
		return call.Outcome(s) // SipSim uses our own outcome names
	case "missed":
		return call.OutcomeNoAnswer
	}
	return call.OutcomeOther
}

// sipsimDisposition maps the status of a call-end event: documented are answer and
// noanswer (MISSED on newer platforms); the rest are mapped as their leg meaning suggests.
func sipsimDisposition(status string) call.Disposition {
	switch sipsimOutcome(status) {
	case "":
		return ""
	case call.OutcomeAnswer:
		return call.Answered
	case call.OutcomeNoAnswer, call.OutcomeCancel:
		return call.Missed
	case call.OutcomeBusy:
		return call.Busy
	}
	return call.Failed
}

// sipsimTime reads ISO 8601 as sent: RFC 3339, a zone-less local time (in loc), or an
// offset without a colon ("+0300").
func sipsimTime(s string, loc *time.Location) (time.Time, bool) {
	if t, ok := parseTime(s, loc); ok {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// sipsimPhone restores the "+" of a number sent unencoded in a legacy query or form,
// where it decodes as a space.
func sipsimPhone(s string) string {
	if rest, ok := strings.CutPrefix(s, " "); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
		return "+" + rest
	}
	return s
}
