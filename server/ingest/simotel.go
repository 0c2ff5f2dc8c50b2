package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"ringside/server/call"
)

// Simotel Event Webhooks (a call-center PBX). The PBX calls one configured address with
// HTTP Basic credentials, one event per request, in one of two styles: "G" sends every
// event to the same URL and names it in the event_name field; "Rest" appends the event
// name to the path (/hooks/{source}/NewState, documented in lower case too), usually
// with event_name as well. Survey names itself in an "event" field instead, and an
// AutoDialerReport may come with no name at all (known by its campaign_id). Versions 2
// and 3 send the fields as a query string (GET) or form fields (POST), maybe nested as
// api_data[x] by old client libraries; version 4 sends a query string (GET) or a JSON
// body (POST). The vendor's examples print numbers with leading zeros, which JSON
// forbids, and some in Python-dict style; real deliveries are JSON or form fields, and
// leading-zero numbers are kept as text rather than refused.
//
// unique_id (cuid in the tables) is the call: every event of one call shares it.
// originated_call_id ties a call Ringside asked for (click-to-call) to the call it
// produced. Times are "2021-01-16 06:30:37.471398" in the PBX's zone, or a Jalali
// (Persian calendar) date on Iranian installations (jalali.go).
//
// Agent state comes from NewState (exten, state, queue, unique_id, dialer): Idle is
// available, InUse on a call, Ringing being offered one, Pause paused and Unavailable
// logged out or unregistered. Recordings are file names (Cdr record), fetched through
// the Simotel API, not URLs. Dispositions are ANSWERED, NO ANSWER, BUSY and FAILED,
// spelled in several ways (simotelNorm).
//
// What the records say, and how they are told apart:
//   - Cdr is the call's record: src is the caller, dst the callee and type the direction
//     (incoming, outgoing, local, feature); entry_point is the number dialled. On a
//     direct call dst (inbound) or src (outbound) is the agent's extension: the board
//     matches it against the directory (this decoder does not know the directory), so
//     the record alone names the agent and the call's "To" stays the number dialled.
//   - CdrQueue is one queue's record of the call: a call that overflows to another queue
//     gets one per queue, so the dedupe key is the call, the queue and the start time.
//   - NewState carries neither an id of its own nor a time: a retry is the original
//     byte for byte, and so is a second ring round (see streams.go).

func init() {
	register(Vendor{Name: "simotel", Order: 1, Decode: decodeSimotel, Auth: AuthBasic,
		Fixtures: []Fixture{{Source: "pbx1", Zone: "Asia/Tehran"}}})
}

// simotelRinging is the agent state "being offered a call"; call names no constant for it.
const simotelRinging = "ringing"

func decodeSimotel(src Source, req Request) (Result, error) {
	f, err := simotelFields(req)
	if err != nil {
		return Result{}, err
	}
	name := simotelEventName(req, f)
	if name == "" {
		return Result{}, fmt.Errorf("%w: simotel: no event name (no /hooks/%s/{Event} path segment, event_name or event field)", ErrUndecodable, src.Name)
	}
	d := simotelDelivery{src: src, f: f}
	e := call.Event{
		Name:        name,
		Call:        d.id(f.get("unique_id", "cuid")),
		OriginateID: f.get("originated_call_id"),
		Queue:       d.id(f.get("queue", "queue_name")),
	}
	var key string
	switch strings.ToLower(name) {
	case "newstate":
		d.newState(&e)
	case "incomingcall":
		e.Type, e.Direction = call.CallOffered, call.Inbound
		e.From, e.DID = f.get("number"), f.get("entry_point")
	case "outgoingcall":
		// outgoing_point names the trunk, not a dialed number: Event has no field for it.
		e.Type, e.Direction = call.CallOffered, call.Outbound
		e.To = f.get("number")
	case "transfer":
		e.Type = call.CallTransferred
		e.Agent = d.id(f.get("transferer", "transfer"))
		e.TransferFrom, e.TransferTo = f.get("transferred_from"), f.get("transferred_to")
	case "cdr":
		d.cdr(&e)
		key = d.key("cdr:", f.get("unique_id", "cuid"))
	case "cdrqueue":
		d.cdrQueue(&e)
		// A call that overflows to another queue gets one CdrQueue per queue; a queue
		// that takes the call twice gives each stay its own start time.
		key = d.key("cdrqueue:", f.get("unique_id", "cuid"))
		if key != "" {
			key += ":" + f.get("queue", "queue_name") + ":" + f.get("starttime", "start_time")
		}
	case "survey":
		e.Type = call.CallRated
		e.Rating = f.get("point", "label")
		e.From, e.To = f.get("src"), f.get("dst")
		e.At = d.time("date")
	case "voicemail":
		if d.voicemail(&e) {
			key = d.key("voicemail:", e.Voicemail)
			break
		}
		e.Type = call.Other // a message that was not saved (state FAILED): nothing to play
		d.other(&e)
	case "extenadded", "extenremoved", "voicemailemail", "incomingfax", "outgoingfax",
		"trunknewstate", "trunkadded", "trunkremoved", "reservedcallinfront", "autodialerreport":
		e.Type = call.Other
		d.other(&e)
	default:
		e.Type = call.Unknown
		d.other(&e)
	}
	return Result{Events: []call.Event{e}, Key: key}, nil
}

// simotelFields parses the delivery and lifts fields nested as api_data[x] (old client
// libraries' form posts) to the top level; a top-level field of the same name wins.
func simotelFields(req Request) (fields, error) {
	f, err := parseFields(req)
	if err != nil {
		// The Simotel docs print numbers with leading zeros ("number": 09331112233),
		// which JSON forbids; keep those digits as text rather than reject the call.
		fixed, changed := simotelQuoteLeadingZeros(req.Body)
		if !changed {
			return nil, err
		}
		r := req
		r.Body = fixed
		if f, err = parseFields(r); err != nil {
			return nil, err
		}
	}
	for k, v := range f.sub("api_data") {
		if _, ok := f[k]; !ok {
			f[k] = v
		}
	}
	return f, nil
}

// simotelEventName: the Rest path segment, else event_name, else event (Survey); an
// AutoDialerReport may come without a name and is known by its campaign_id. A path
// segment that only differs in case from event_name ("/newstate") takes its spelling,
// so one event keeps one name whatever the URL style.
func simotelEventName(req Request, f fields) string {
	field := strings.TrimSpace(f.get("event_name", "event"))
	if n := strings.TrimSpace(req.Event); n != "" {
		if strings.EqualFold(n, field) {
			return field
		}
		return n
	}
	if field != "" {
		return field
	}
	if f.get("campaign_id") != "" {
		return "AutoDialerReport"
	}
	return ""
}

type simotelDelivery struct {
	src Source
	f   fields
}

// id prefixes a vendor identifier with the source name; "" stays "".
func (d simotelDelivery) id(v string) string {
	if v == "" {
		return ""
	}
	return d.src.Name + ":" + v
}

func (d simotelDelivery) key(prefix, uid string) string {
	if uid == "" {
		return ""
	}
	return prefix + uid
}

// time parses the first present field among keys as a Simotel time (local to the
// source when it has no zone; a Jalali date converted); zero when absent or unreadable.
func (d simotelDelivery) time(keys ...string) time.Time {
	t, _ := parseSimotelTime(d.f.get(keys...), d.src.Location)
	return t
}

func (d simotelDelivery) newState(e *call.Event) {
	f := d.f
	exten := f.get("exten")
	e.Agent = d.id(exten)
	e.AgentState = simotelAgentState(f.get("state"))
	switch simotelNorm(f.get("direction")) {
	case "in", "incoming", "inbound":
		// the extension is the agent's leg, not the call's callee: only the other party is a call fact
		e.Direction, e.From = call.Inbound, f.get("participant")
	case "out", "outgoing", "outbound":
		e.Direction, e.To = call.Outbound, f.get("participant")
	}
	e.Type = call.AgentState
	switch e.AgentState {
	case simotelRinging:
		if e.Call != "" {
			e.Type = call.LegRinging
		}
	case call.StateOnCall:
		// dialer=yes: the agent is dialing out, nobody has answered yet.
		if e.Call != "" && simotelNorm(f.get("dialer")) != "yes" {
			e.Type = call.CallAnswered
		}
	case call.StatePaused:
		e.Type = call.AgentPaused
	case call.StateOffline:
		e.Type = call.AgentLogout
	}
}

func (d simotelDelivery) cdr(e *call.Event) {
	f := d.f
	e.Type = call.CallRecord
	start, end := d.time("starttime", "start_time"), d.time("endtime", "end_time")
	e.StartedAt, e.EndedAt = call.T(start), call.T(end)
	e.At = simotelFirstTime(end, start)
	e.From, e.To, e.DID = f.get("src"), f.get("dst"), f.get("entry_point")
	switch simotelNorm(f.get("type")) {
	case "incoming":
		e.Direction = call.Inbound
	case "outgoing":
		e.Direction = call.Outbound
	case "local", "feature":
		e.Direction = call.Internal
	}
	e.Disposition = simotelDisposition(f.get("disposition"))
	e.DurationS, e.TalkS, e.WaitS = num(f.get("duration")), num(f.get("billsec")), num(f.get("wait"))
	if r := f.get("record"); r != "" {
		e.Recordings = []string{r}
	}
	e.Rating = f.get("poll_point")
	// Cdr has no answer time: the call was answered after its wait.
	if e.Disposition == call.Answered && !start.IsZero() && e.WaitS != nil {
		e.AnsweredAt = call.T(start.Add(time.Duration(*e.WaitS * float64(time.Second))))
	}
}

func (d simotelDelivery) cdrQueue(e *call.Event) {
	f := d.f
	e.Type, e.Direction = call.CallRecord, call.Inbound
	start, end := d.time("starttime", "start_time"), d.time("endtime", "end_time")
	e.StartedAt, e.EndedAt = call.T(start), call.T(end)
	e.AnsweredAt = call.T(d.time("answeredtime"))
	e.At = simotelFirstTime(end, start)
	e.From = f.get("src")
	e.Disposition = simotelDisposition(f.get("disposition"))
	if e.Disposition == call.Answered {
		e.Agent = d.id(f.get("dst"))
	}
	e.DurationS, e.TalkS, e.WaitS = num(f.get("duration")), num(f.get("billsec")), num(f.get("wait"))
	e.HangupReason = f.get("hangup")
	if r := f.get("record"); r != "" {
		e.Recordings = []string{r}
	}
	for _, x := range f.list("detail") {
		agent := x.get("dst")
		if agent == "" {
			continue // an attempt without an agent is no leg
		}
		e.Legs = append(e.Legs, call.Leg{
			Agent:   d.id(agent),
			Outcome: simotelOutcome(x.get("disposition"), x.get("comment")),
			TalkS:   num(x.get("billsec")),
		})
	}
}

// voicemail reads a saved voicemail message: the mailbox (number), the caller, its time
// and the file to fetch through the API. One without a file (state FAILED, "Hangup
// call") left nothing to play and is not one.
func (d simotelDelivery) voicemail(e *call.Event) bool {
	f := d.f
	file := strings.TrimSpace(f.get("filename"))
	if file == "" || strings.EqualFold(f.get("state"), "failed") {
		return false
	}
	e.Type, e.Voicemail = call.VoicemailSaved, f.get("id", "_id")
	e.From, e.To = f.get("caller", "caller_id"), f.get("number")
	e.Recordings, e.DurationS = []string{file}, num(f.get("duration"))
	e.At = d.time("date")
	if e.Voicemail == "" {
		e.Voicemail = file // the file name is unique per message too
	}
	return true
}

// other fills what the PBX-housekeeping events (fax, voicemail, trunks, extensions,
// dialer, reservations) and unknown events say about agents, calls and parties.
func (d simotelDelivery) other(e *call.Event) {
	f := d.f
	switch strings.ToLower(e.Name) {
	case "extenadded", "extenremoved":
		e.Agent = d.id(f.get("exten", "number"))
	case "voicemail", "voicemailemail":
		e.From, e.To = f.get("caller"), f.get("number")
	case "incomingfax", "outgoingfax":
		e.From, e.To = f.get("src"), f.get("dst")
	case "reservedcallinfront":
		e.From = f.get("caller_id")
	case "autodialerreport":
		e.Direction, e.To = call.Outbound, f.get("number")
		e.Disposition = simotelDisposition(f.get("disposition"))
		e.TalkS, e.WaitS = num(f.get("billsec")), num(f.get("wait"))
		start, end := d.time("start"), d.time("end")
		e.StartedAt, e.EndedAt, e.At = call.T(start), call.T(end), end
	default:
		e.Agent = d.id(f.get("exten"))
	}
	if e.At.IsZero() {
		e.At = d.time("date")
	}
}

func simotelFirstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// simotelNorm folds the spellings of one enum value: "NO ANSWER", "no_answer", "NoAnswer".
func simotelNorm(s string) string {
	return simotelSeparators.Replace(strings.ToLower(strings.TrimSpace(s)))
}

// simotelSeparators is built once: a Replacer builds its tables on first use, a tenth of
// intake's allocations when it was made per value.
var simotelSeparators = strings.NewReplacer(" ", "", "_", "", "-", "")

func simotelAgentState(s string) call.AgentStatus {
	switch simotelNorm(s) {
	case "idle", "notinuse":
		return call.StateAvailable
	case "inuse", "busy", "onhold":
		return call.StateOnCall
	case "ringing", "ring", "ringinuse":
		return simotelRinging
	case "pause", "paused":
		return call.StatePaused
	case "unavailable", "invalid":
		return call.StateOffline
	}
	return ""
}

func simotelDisposition(s string) call.Disposition {
	switch simotelNorm(s) {
	case "answered", "answer":
		return call.Answered
	case "noanswer", "noanswered":
		return call.Missed
	case "busy":
		return call.Busy
	case "failed":
		return call.Failed
	}
	return ""
}

// simotelOutcome is one queue attempt's outcome; FAILED on an unregistered phone is
// "unavailable", other failures and anything unknown are "other".
func simotelOutcome(s, comment string) call.Outcome {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if strings.Contains(strings.ToLower(comment), "unregist") || strings.Contains(strings.ToLower(comment), "unavailable") {
		return call.OutcomeUnavailable
	}
	switch simotelDisposition(s) {
	case call.Answered:
		return call.OutcomeAnswer
	case call.Missed:
		return call.OutcomeNoAnswer
	case call.Busy:
		return call.OutcomeBusy
	}
	return call.OutcomeOther
}

// simotelQuoteLeadingZeros turns JSON number tokens with a leading zero (09331112233,
// invalid JSON) into strings, leaving everything inside strings alone. It reports
// whether it changed anything.
func simotelQuoteLeadingZeros(b []byte) ([]byte, bool) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return b, false
	}
	var out bytes.Buffer
	inStr, esc, changed := false, false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			for j < len(b) && strings.IndexByte("0123456789+-.eE", b[j]) >= 0 {
				j++
			}
			tok := b[i:j]
			digits := bytes.TrimPrefix(tok, []byte("-"))
			if len(digits) > 1 && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9' {
				out.WriteByte('"')
				out.Write(tok)
				out.WriteByte('"')
				changed = true
			} else {
				out.Write(tok)
			}
			i = j - 1
			continue
		}
		out.WriteByte(c)
	}
	return out.Bytes(), changed
}
