package ingest

import (
	"fmt"
	"sort"
	"strings"

	"ringside/server/call"
)

// VOIPEX (IPEX) webhooks (PBX 4.6 and later): one POSTed JSON object per event, sent with
// HTTP Basic credentials, named by EventName (NewCall, Ringing, Answered, Hangup,
// AttendedTransfer, CancelAttendedTransfer, CDR, AgentLogin, AgentLogout, AgentPaused,
// AgentUnPaused). Fields, all strings: From, To, Line (the callee's extension), Email and
// Login (the callee, when known), UniqueId (the call, "1412256225.1941"), Queue,
// Direction (incoming, outgoing, incomingLocal, outgoingLocal, barge, in lower case
// too), Reason (why it ended), PauseName (an AgentPaused's reason, e.g. "Oběd", lunch).
// Agent events carry Queue, Login, Line and Email. No event carries a time: the receive
// time is the event's. An installation may rename the keys (into Czech, say: Udalost for
// EventName); Source.KeyMap maps them back. The vendor's own example is not valid JSON
// (unquoted values); real deliveries are.
//
// What the events mean for a call (the vendor documents the names; the rest is the
// reading that never shows a state no event supports):
//   - Hangup ends one callee's part when it names a callee (Login, Line or Email) and
//     gives a reason that is about that callee: "Answered elsewhere" (ring-all: another
//     agent took it), "No user response" (sequential queues ring the next agent after
//     it), and the standard causes "User busy", "Call rejected", "No answer",
//     "Subscriber absent". Any other reason ("Normal Clearing"), or a Hangup naming no
//     callee, is the caller's side ending: the whole call ends.
//   - Direction "barge" marks a supervisor listening in, whispering or barging into a
//     call: the events (with the call's UniqueId) are about the supervisor's monitoring
//     leg (call.RoleMonitor), never about who handles the call, and their Hangup or CDR
//     ends only that leg.
//   - CDR is the call's record: naming a callee with "Normal Clearing" it says that
//     callee answered; "No user response" says nobody did.

func init() {
	register(Vendor{Name: "voipex", Order: 2, Decode: decodeVoipex, Auth: AuthBasic,
		Fixtures: []Fixture{{Source: "ipex", Zone: "Europe/Prague"}, {Source: "ipexr", Zone: "Europe/Prague",
			KeyMap: map[string]string{"Udalost": "EventName", "Volajici": "From", "Volany": "To", "Hovor": "UniqueId"}}}})
}

func decodeVoipex(src Source, req Request) (Result, error) {
	f, err := parseFields(req)
	if err != nil {
		return Result{}, err
	}
	voipexRenameKeys(f, src.KeyMap)
	name := strings.TrimSpace(f.get("eventname"))
	if name == "" {
		return Result{}, fmt.Errorf("%w: voipex: no EventName field", ErrUndecodable)
	}
	d := voipexDelivery{src: src, f: f, reason: strings.TrimSpace(f.get("reason"))}
	e := d.event(name)
	var key string
	switch strings.ToLower(name) {
	case "newcall":
		e.Type = call.CallOffered
		if e.Direction == call.Inbound {
			e.DID = e.To
		}
	case "ringing":
		e.Type = call.LegRinging
	case "answered":
		e.Type = call.CallAnswered
	case "hangup":
		d.hangup(&e)
	case "attendedtransfer", "cancelattendedtransfer":
		d.transfer(&e)
	case "cdr":
		key = d.cdr(&e)
	case "agentlogin":
		e.Type = call.AgentLogin
	case "agentlogout":
		e.Type = call.AgentLogout
	case "agentpaused":
		e.Type, e.PauseReason = call.AgentPaused, f.get("pausename")
	case "agentunpaused":
		e.Type = call.AgentUnpaused
	default:
		e.Type = call.Unknown
	}
	return Result{Events: []call.Event{e}, Key: key}, nil
}

// voipexDelivery is one VOIPEX delivery's fields (keys renamed back) and its source.
type voipexDelivery struct {
	src    Source
	f      fields
	reason string // Reason, trimmed: why a call or a callee's part ended
}

// id is a vendor id as our identity "source:id", "" for none.
func (d voipexDelivery) id(v string) string {
	if v == "" {
		return ""
	}
	return d.src.Name + ":" + v
}

// monitor says the delivery is about a supervisor listening in or barging (Direction barge).
func (d voipexDelivery) monitor() bool {
	return strings.EqualFold(strings.TrimSpace(d.f.get("direction")), "barge")
}

// event is what every VOIPEX event says: the call, its parties, its queue and
// direction, and the callee: Login, else Line, else Email, the others its aliases.
func (d voipexDelivery) event(name string) call.Event {
	f := d.f
	e := call.Event{
		Name:      name,
		Call:      d.id(f.get("uniqueid")),
		From:      f.get("from"),
		To:        f.get("to"),
		Queue:     d.id(f.get("queue")),
		Direction: voipexDirection(f.get("direction")),
	}
	for _, v := range []string{f.get("login"), f.get("line"), f.get("email")} {
		switch {
		case v == "":
		case e.Agent == "":
			e.Agent = d.id(v)
		default:
			e.AgentAliases = append(e.AgentAliases, d.id(v))
		}
	}
	if d.monitor() {
		e.Role = call.RoleMonitor
	}
	return e
}

// hangup: a reason about the callee ends their leg, not the call; any other ends the call.
func (d voipexDelivery) hangup(e *call.Event) {
	if out := voipexLegOutcome(d.reason); out != "" && (e.Agent != "" || d.monitor()) {
		e.Type, e.Outcome, e.HangupReason = call.LegEnded, out, d.reason
		return
	}
	e.Type = call.CallEnded
	voipexEnd(e, d.reason)
}

// transfer: From and To name the transfer's parties here, not the call's.
func (d voipexDelivery) transfer(e *call.Event) {
	e.Type = call.CallTransferred
	if strings.EqualFold(e.Name, "CancelAttendedTransfer") {
		e.Type = call.TransferCancelled
	}
	e.TransferFrom, e.TransferTo = e.From, e.To
	e.From, e.To = "", ""
}

// cdr reads the call's record and returns its dedupe key: naming a callee with "Normal
// Clearing" it says that callee answered. A supervisor's record of the same call is
// their own (keyed by them).
func (d voipexDelivery) cdr(e *call.Event) (key string) {
	e.Type = call.CallRecord
	if e.Direction == call.Inbound {
		e.DID = e.To
	}
	voipexEnd(e, d.reason)
	if e.Agent != "" && strings.EqualFold(d.reason, "Normal Clearing") {
		e.Disposition = call.Answered
	}
	if uid := d.f.get("uniqueid"); uid != "" {
		key = "cdr:" + uid
		if d.monitor() {
			key += ":barge:" + e.Agent
		}
	}
	return key
}

// voipexEnd records why a call ended; "No user response" is how a missed call ends.
func voipexEnd(e *call.Event, reason string) {
	e.HangupReason = reason
	switch voipexLegOutcome(reason) {
	case call.OutcomeNoAnswer, call.OutcomeCancel:
		e.Disposition = call.Missed
	case call.OutcomeBusy:
		e.Disposition = call.Busy
	}
}

// voipexLegOutcome is the leg outcome of a Hangup reason about the callee, "" for a
// reason that ends the call.
func voipexLegOutcome(reason string) call.Outcome {
	switch strings.ToLower(strings.TrimSpace(reason)) {
	case "answered elsewhere":
		return call.OutcomeCancel
	case "no user response", "no answer":
		return call.OutcomeNoAnswer
	case "user busy", "call rejected":
		return call.OutcomeBusy
	case "subscriber absent":
		return call.OutcomeUnavailable
	}
	return ""
}

func voipexDirection(s string) call.Direction {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "incoming":
		return call.Inbound
	case "outgoing":
		return call.Outbound
	case "incominglocal", "outgoinglocal":
		return call.Internal
	}
	return "" // barge, or a value we do not know
}

// voipexRenameKeys applies an installation's key renames (its key → the default key),
// compared case-insensitively. All renames read the original keys, so swaps work.
func voipexRenameKeys(f fields, keyMap map[string]string) {
	if len(keyMap) == 0 {
		return
	}
	insts := make([]string, 0, len(keyMap))
	for k := range keyMap {
		insts = append(insts, k)
	}
	sort.Strings(insts)
	moved := map[string]string{}
	for _, inst := range insts {
		if v, ok := f[strings.ToLower(inst)]; ok {
			moved[strings.ToLower(keyMap[inst])] = v
		}
	}
	for _, inst := range insts {
		delete(f, strings.ToLower(inst))
	}
	for k, v := range moved {
		f[k] = v
	}
}
