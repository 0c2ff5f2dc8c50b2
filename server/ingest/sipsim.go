package ingest

// SipSim.by real-time call notifications: one event per request, as a
// legacy GET query or POST form (the customer picks the method, or points each event at
// its own URL), or as the newer platform's signed POST JSON: X-Webhook-Timestamp (Unix
// seconds) and X-Webhook-Signature, the hex HMAC-SHA256 of "{timestamp}.{raw body}"
// with the source's signing secret. The HTTP layer checks the signature, and a signed
// delivery is read from its body alone: query or path fields are never merged into it.
//
// Fields: event, time (ISO 8601, maybe without a zone), pbx_id (the call), duration
// (seconds, "102.0" in legacy, an integer in the new), caller, receiver, status and
// audio_path (the recording's URL, on end events only, only when recording is on, maybe
// null). Events: incoming_call_start, incoming_call_start_chain_member_call (one number
// of the ring chain starts ringing), incoming_call_end_chain_member_call (it stops: its
// status says why), incoming_call_answer, incoming_call_end, and outgoing_call_start,
// _answer and _end; newer platforms add voicemail, sms, rating, summary and test.
// Statuses are cancel, answer, noanswer, busy, unavailable and other (an error); newer
// platforms send them in upper case and add MISSED (NOANSWER). SipSim sends no agent
// presence (Vendor.NoPresence).
//
// "receiver" is the department number on incoming_call_start/end but the ringing or
// answering manager on the chain-member events and on incoming_call_answer.
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
	d := sipsimDelivery{src: src, f: f, pbxID: f.get("pbx_id"),
		caller: sipsimPhone(f.get("caller")), receiver: sipsimPhone(f.get("receiver"))}
	if d.pbxID == "" && sipsimCallEvents[ev] {
		return Result{}, fmt.Errorf("%w: sipsim: %s without pbx_id (the call id)", ErrUndecodable, name)
	}
	e := call.Event{Name: name, Call: d.id(d.pbxID)}
	if t, ok := sipsimTime(f.get("time"), src.Location); ok {
		e.At = t
	}
	switch {
	case strings.HasPrefix(ev, "incoming_call_"):
		d.incoming(&e, ev)
	case strings.HasPrefix(ev, "outgoing_call_"):
		d.outgoing(&e, ev)
	default:
		d.other(&e, ev)
	}
	return Result{Events: []call.Event{e}, Key: d.key(name, ev)}, nil
}

// sipsimDelivery is one SipSim delivery's fields and its source.
type sipsimDelivery struct {
	src              Source
	f                fields
	pbxID            string // the call
	caller, receiver string // phone numbers as sent, "+" restored
}

// id is a vendor id as our identity "source:id", "" for none.
func (d sipsimDelivery) id(v string) string {
	if v == "" {
		return ""
	}
	return d.src.Name + ":" + v
}

// incoming reads an inbound call's events: receiver is the department number on the
// call's start and end, the ringing or answering manager on the others.
func (d sipsimDelivery) incoming(e *call.Event, ev string) {
	at := call.T(e.At)
	e.Direction, e.From = call.Inbound, d.caller
	switch ev {
	case "incoming_call_start":
		e.Type, e.StartedAt = call.CallOffered, at
		e.To, e.DID, e.Queue = d.receiver, d.receiver, d.id(d.receiver)
	case "incoming_call_start_chain_member_call":
		e.Type, e.Agent = call.LegRinging, d.id(d.receiver)
	case "incoming_call_end_chain_member_call":
		e.Type, e.Agent = call.LegEnded, d.id(d.receiver)
		e.Outcome = sipsimOutcome(d.f.get("status"))
	case "incoming_call_answer":
		e.Type, e.Agent, e.AnsweredAt = call.CallAnswered, d.id(d.receiver), at
	case "incoming_call_end":
		e.Type, e.EndedAt = call.CallEnded, at
		e.To, e.DID, e.Queue = d.receiver, d.receiver, d.id(d.receiver)
		sipsimEnd(e, d.f)
	default:
		*e = call.Event{Name: e.Name, Call: e.Call, At: e.At, Type: call.Unknown}
	}
}

// outgoing reads an outbound call's events: the caller is the manager dialling out.
func (d sipsimDelivery) outgoing(e *call.Event, ev string) {
	at := call.T(e.At)
	e.Direction, e.From, e.To, e.Agent = call.Outbound, d.caller, d.receiver, d.id(d.caller)
	switch ev {
	case "outgoing_call_start":
		e.Type, e.StartedAt = call.CallOffered, at
	case "outgoing_call_answer":
		e.Type, e.AnsweredAt = call.CallAnswered, at
	case "outgoing_call_end":
		e.Type, e.EndedAt = call.CallEnded, at
		sipsimEnd(e, d.f)
	default:
		*e = call.Event{Name: e.Name, Call: e.Call, At: e.At, Type: call.Unknown}
	}
}

// other reads the events that are not a call's progress.
func (d sipsimDelivery) other(e *call.Event, ev string) {
	switch ev {
	case "rating":
		// No To: who receiver is on a rating is not documented, and it must not
		// overwrite the call's department number.
		e.Type, e.From = call.CallRated, d.caller
		e.Rating = d.f.get("rating", "rate", "score", "value")
	case "voicemail":
		// Left on the call pbx_id; its recording, like a call's, is audio_path.
		e.Type, e.From, e.To, e.Voicemail = call.VoicemailSaved, d.caller, d.receiver, d.pbxID
		sipsimEnd(e, d.f)
		e.Disposition = ""
	case "sms", "summary", "test":
		e.Type, e.From, e.To = call.Other, d.caller, d.receiver
	default:
		e.Type = call.Unknown
	}
}

// key is the documented dedupe key, event + pbx_id, with receiver telling chain
// members apart; "" without a pbx_id.
func (d sipsimDelivery) key(name, ev string) string {
	if d.pbxID == "" {
		return ""
	}
	key := name + ":" + d.pbxID + ":" + d.receiver
	if strings.Contains(ev, "chain_member") {
		// A chain may ring the same manager again (a second ring round): the round's
		// time tells it apart, and a retry repeats the time it was sent with.
		key += ":" + d.f.get("time")
	}
	return key
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
