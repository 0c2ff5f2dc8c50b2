package sim

import (
	"strings"
	"time"

	"ringside/server/call"
)

// VOIPEX webhooks: one POSTed JSON object per event, no timestamps.
// Ring-all queues ring their free agents at once: each gets Ringing; when one answers,
// the others get Hangup "Answered elsewhere" (their leg ends, not the call). Sequential
// queues ring one agent at a time: one who does not pick up gets Hangup "No user
// response" (their leg ends; the queue rings the next one, or the same agent again).
// A missed call ends with "No user response" naming nobody. A supervisor listening in
// or barging sends Ringing, Answered and Hangup with Direction "barge" and the call's
// UniqueId.

func (r *renderer) voipex() {
	st := r.st
	who := func(a Agent) obj {
		return obj{{"Line", a.Ext}, {"Email", a.Email}, {"Login", a.Login}}
	}
	switch st.Kind {
	case AgentLogin, AgentLogout, AgentPause, AgentUnpause:
		name := map[Kind]string{AgentLogin: "AgentLogin", AgentLogout: "AgentLogout", AgentPause: "AgentPaused", AgentUnpause: "AgentUnPaused"}[st.Kind]
		o := append(obj{{"EventName", name}, {"Queue", st.Queue}}, who(st.Agent)...)
		if st.Kind == AgentPause {
			o = append(o, kv{"PauseName", st.PauseReason})
		}
		r.voipexSend(0, o)
		return
	}
	if !st.IsCall() {
		return
	}
	// ev is a call event: the call's parties, the agent concerned (if any), the rest.
	from, to, dir := st.Caller, st.DID, "incoming"
	if st.CallKind() == Outbound {
		from, to, dir = st.Agent.Ext, st.Caller, "outgoing"
	}
	ev := func(name string, a *Agent, extra ...kv) obj {
		o := obj{{"EventName", name}, {"From", from}, {"To", to}}
		if a != nil {
			o = append(o, who(*a)...)
		}
		o = append(o, kv{"UniqueId", st.ID})
		if dir == "incoming" {
			o = append(o, kv{"Queue", st.Queue})
		}
		return append(append(o, kv{"Direction", dir}), extra...)
	}
	reason := "No user response"
	var final *Agent
	if st.Answered {
		reason = "Normal Clearing"
		a := st.FinalAgent()
		final = &a
	}
	if st.Kind != RecordOnly {
		if dir == "outgoing" {
			r.voipexSend(0, ev("NewCall", &st.Agent))
			if st.Answered {
				r.voipexSend(st.Answer, ev("Answered", &st.Agent))
			}
		} else {
			r.voipexSend(0, ev("NewCall", nil))
			var rung []Agent
			for _, a := range st.Chain {
				if a.Outcome == call.OutcomeBusy || a.Outcome == call.OutcomeUnavailable {
					continue // a busy or logged-out agent is not rung
				}
				r.voipexSend(a.Start, ev("Ringing", &a.Agent))
				if a.Outcome == call.OutcomeNoAnswer && (!st.Answered || a.End < st.Answer) {
					// a sequential queue gave up on them: their leg ends, not the call
					r.voipexSend(a.End, ev("Hangup", &a.Agent, kv{"Reason", "No user response"}))
				} else if a.Outcome != call.OutcomeAnswer {
					rung = append(rung, a.Agent)
				}
			}
			if st.Answered {
				r.voipexSend(st.Answer, ev("Answered", &st.Agent))
				for _, a := range rung {
					r.voipexSend(st.Answer, ev("Hangup", &a, kv{"Reason", "Answered elsewhere"}))
				}
			}
			if m := st.Monitor; m != nil && st.Answered {
				barge := func(at time.Duration, name string, extra ...kv) {
					o := ev(name, m, extra...)
					for i := range o {
						if o[i].k == "Direction" {
							o[i].v = "barge"
						}
					}
					r.voipexSend(at, o)
				}
				barge(st.MonitorAt, "Ringing")
				barge(st.MonitorAt, "Answered")
				barge(st.MonitorEnd, "Hangup", kv{"Reason", "Normal Clearing"})
			}
			if st.TransferTo != nil {
				o := ev("AttendedTransfer", &st.Agent)
				o[1].v, o[2].v = st.Agent.Ext, st.TransferTo.Ext // From/To: the transfer's parties
				r.voipexSend(st.TransferAt, o)
			}
		}
		r.voipexSend(st.End, ev("Hangup", final, kv{"Reason", reason}))
	}
	r.voipexSend(st.End+st.RecordLag, ev("CDR", final, kv{"Reason", reason}))
}

// voipexSend posts one event, with the installation's key names.
func (r *renderer) voipexSend(at time.Duration, o obj) {
	insts := sortedKeys(r.src.KeyMap)
	for i := range o {
		for _, inst := range insts {
			if strings.EqualFold(o[i].k, r.src.KeyMap[inst]) {
				o[i].k = inst
				break
			}
		}
		if o[i].v == "" {
			o[i].v = nil // keys without a value are left out
		}
	}
	kept := o[:0]
	for _, f := range o {
		if f.v != nil {
			kept = append(kept, f)
		}
	}
	r.add(at, "POST", "", "", "application/json", kept.json())
}
