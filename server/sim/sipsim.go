package sim

import (
	"fmt"
	"strings"
	"time"

	"ringside/server/call"
)

// SipSim.by call notifications. The legacy platform sends a GET query or
// POST form with lowercase statuses and durations like "102.0"; the newer one POSTs
// signed JSON (the Poster signs) with uppercase statuses, MISSED, integer durations and
// a null audio_path. "receiver" is the department number on the call's start and end,
// the manager's own number on the chain-member events and on the answer.

func (r *renderer) sipsim() {
	st := r.st
	if !st.IsCall() {
		return // SipSim has no agent events
	}
	legacy := r.variant != "json-signed"
	status := func(s string) string {
		if legacy {
			return s
		}
		return strings.ToUpper(s)
	}
	ev := func(at time.Duration, name, caller, receiver string, extra ...kv) {
		o := obj{{"event", name}, {"time", r.at(at).UTC().Format("2006-01-02T15:04:05.000Z")}, {"pbx_id", st.ID}}
		r.sipsimSend(at, append(append(o, kv{"caller", caller}, kv{"receiver", receiver}), extra...))
	}
	end := func(name, caller, receiver string) {
		var dur any = secs(st.End)
		if legacy {
			dur = fmt.Sprintf("%d.0", secs(st.End))
		}
		s := "answer"
		if !st.Answered {
			s = "noanswer"
			if !legacy {
				s = "missed"
			}
		}
		var audio any // null: recording off
		if st.Answered && st.Recorded {
			audio = "https://vrecords.call-tracking.by/monitor/" + hexID(8, r.src.Name, st.ID)
		} else if legacy {
			audio = ""
		}
		o := obj{{"event", name}, {"time", r.at(st.End).UTC().Format("2006-01-02T15:04:05.000Z")}, {"pbx_id", st.ID},
			{"duration", dur}, {"caller", caller}, {"receiver", receiver}, {"status", status(s)}, {"audio_path", audio}}
		r.sipsimSend(st.End, o)
	}
	live := st.Kind != RecordOnly
	if st.CallKind() == Outbound {
		if live {
			ev(0, "outgoing_call_start", st.Agent.Number, st.Caller)
			if st.Answered {
				ev(st.Answer, "outgoing_call_answer", st.Agent.Number, st.Caller)
			}
		}
		end("outgoing_call_end", st.Agent.Number, st.Caller)
		return
	}
	if live {
		ev(0, "incoming_call_start", st.Caller, st.DID)
		for _, a := range st.Chain {
			ev(a.Start, "incoming_call_start_chain_member_call", st.Caller, a.Agent.Number)
			if a.Outcome == call.OutcomeAnswer {
				// As in the vendor's worked example: the answer, no chain-member end.
				ev(a.End, "incoming_call_answer", st.Caller, a.Agent.Number)
				continue
			}
			ev(a.End, "incoming_call_end_chain_member_call", st.Caller, a.Agent.Number, kv{"status", status(string(a.Outcome))})
		}
		// A transfer has no SipSim event: the call simply continues to its end.
	}
	end("incoming_call_end", st.Caller, st.DID)
}

func (r *renderer) sipsimSend(at time.Duration, o obj) {
	switch r.variant {
	case "json-signed":
		r.add(at, "POST", "", "", "application/json", o.json())
	case "get":
		r.add(at, "GET", "", o.form(false), "", nil)
	case "form":
		r.add(at, "POST", "", "", "application/x-www-form-urlencoded", []byte(o.form(false)))
	}
}
