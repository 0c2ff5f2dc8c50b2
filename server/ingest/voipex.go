package ingest

import (
	"fmt"
	"sort"
	"strings"

	"ringside/server/call"
)

// VOIPEX (IPEX) webhooks (vendors.md §3): one POSTed JSON object per event, named by
// EventName. An installation may rename the keys; Source.KeyMap maps them back.

func init() { register("voipex", decodeVoipex) }

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
	id := func(v string) string {
		if v == "" {
			return ""
		}
		return src.Name + ":" + v
	}
	e := call.Event{
		Name:      name,
		Call:      id(f.get("uniqueid")),
		From:      f.get("from"),
		To:        f.get("to"),
		Queue:     id(f.get("queue")),
		Direction: voipexDirection(f.get("direction")),
	}
	// The callee's identity: Login, else Line, else Email; the others are aliases.
	for _, v := range []string{f.get("login"), f.get("line"), f.get("email")} {
		switch {
		case v == "":
		case e.Agent == "":
			e.Agent = id(v)
		default:
			e.AgentAliases = append(e.AgentAliases, id(v))
		}
	}
	reason := strings.TrimSpace(f.get("reason"))
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
		// Ring-all queues: the agents who lost the race get "Answered elsewhere";
		// that ends their leg, not the call.
		if strings.EqualFold(reason, "Answered elsewhere") {
			e.Type, e.Outcome = call.LegEnded, call.OutcomeCancel
			break
		}
		e.Type = call.CallEnded
		voipexEnd(&e, reason)
	case "attendedtransfer", "cancelattendedtransfer":
		e.Type = call.CallTransferred
		if strings.EqualFold(name, "CancelAttendedTransfer") {
			e.Type = call.TransferCancelled
		}
		// From/To name the transfer's parties here, not the call's.
		e.TransferFrom, e.TransferTo = e.From, e.To
		e.From, e.To = "", ""
	case "cdr":
		e.Type = call.CallRecord
		if e.Direction == call.Inbound {
			e.DID = e.To
		}
		voipexEnd(&e, reason)
		if uid := f.get("uniqueid"); uid != "" {
			key = "cdr:" + uid
		}
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

// voipexEnd records why a call ended; "No user response" is how a missed call ends.
func voipexEnd(e *call.Event, reason string) {
	e.HangupReason = reason
	if strings.EqualFold(reason, "No user response") {
		e.Disposition = call.Missed
	}
}

func voipexDirection(s string) string {
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
