package sim

import (
	"strings"
	"time"

	"ringside/server/call"
)

// Simotel Event Webhooks. Live events: IncomingCall/OutgoingCall, NewState
// per agent (Ringing, InUse, Idle, Pause, Unavailable), Transfer; after the call Cdr and,
// for queue calls, CdrQueue with one detail[] entry per agent tried. Times are zone-less
// local times of the PBX; numbers in CdrQueue are strings, in a v4 JSON Cdr numbers.

const simotelTime = "2006-01-02 15:04:05.000000"

func (r *renderer) simotel() {
	st := r.st
	ts := func(d time.Duration) string { return r.at(d).In(r.loc()).Format(simotelTime) }
	state := func(at time.Duration, a Agent, s string, fields ...kv) {
		r.simotelSend(at, append(obj{{"event_name", "NewState"}, {"exten", a.Ext}, {"state", s}}, fields...))
	}
	// The call an agent's state is about: the other party, the direction, the queue.
	in := []kv{{"participant", st.Caller}, {"direction", "in"}, {"queue", st.Queue}, {"unique_id", st.ID}}
	inAt := func(d time.Duration) []kv { // an overflowed call's attempts are its second queue's
		return []kv{{"participant", st.Caller}, {"direction", "in"}, {"queue", st.QueueAt(d)}, {"unique_id", st.ID}}
	}
	out := []kv{{"participant", st.Caller}, {"direction", "out"}, {"unique_id", st.ID}}
	switch st.Kind {
	case AgentLogin, AgentUnpause:
		state(0, st.Agent, "Idle")
		return
	case AgentPause:
		state(0, st.Agent, "Pause") // NewState carries no pause reason
		return
	case AgentLogout:
		state(0, st.Agent, "Unavailable")
		return
	}
	if !st.IsCall() {
		return
	}
	live := st.Kind != RecordOnly
	if st.CallKind() == Outbound {
		const trunk = "to_simo_51_20"
		if live {
			// dialer=yes while the agent dials; InUse again (dialer=no) when answered.
			state(0, st.Agent, "InUse", append(out, kv{"dialer", "yes"})...)
			r.simotelSend(0, obj{{"event_name", "OutgoingCall"}, {"number", st.Caller}, {"outgoing_point", trunk},
				{"unique_id", st.ID}, {"originated_call_id", ""}})
			if st.Answered {
				state(st.Answer, st.Agent, "InUse", append(out, kv{"dialer", "no"})...)
			}
			state(st.End, st.Agent, "Idle")
		}
		r.simotelSend(st.End+st.RecordLag, r.simotelCdr(ts, "outgoing", st.Agent.Ext, st.Caller, "", trunk))
		return
	}

	if live {
		r.simotelSend(0, obj{{"event_name", "IncomingCall"}, {"number", st.Caller}, {"entry_point", st.DID},
			{"unique_id", st.ID}, {"originated_call_id", ""}})
		for _, a := range st.Chain {
			if a.Outcome == call.OutcomeBusy || a.Outcome == call.OutcomeUnavailable {
				continue // an agent already in use or away is never offered the call
			}
			state(a.Start, a.Agent, "Ringing", inAt(a.Start)...)
			if a.Outcome == call.OutcomeAnswer {
				state(a.End, a.Agent, "InUse", inAt(a.Start)...)
			} else {
				state(a.End, a.Agent, "Idle", inAt(a.Start)...)
			}
		}
		if st.TransferTo != nil {
			r.simotelSend(st.TransferAt, obj{{"event_name", "Transfer"}, {"unique_id", st.ID},
				{"transferer", st.Agent.Ext}, {"transferred_from", st.Agent.Ext}, {"transferred_to", st.TransferTo.Ext}})
			state(st.TransferAt, st.Agent, "Idle", in...)
			state(st.TransferAt, *st.TransferTo, "InUse", in...)
		}
		if st.Answered {
			state(st.End, st.FinalAgent(), "Idle", in...)
		}
	}
	dst := st.Queue
	if st.Answered {
		dst = st.FinalAgent().Ext
	}
	r.simotelSend(st.End+st.RecordLag, r.simotelCdr(ts, "incoming", st.Caller, dst, st.DID, ""))
	for _, p := range r.simotelQueueParts() {
		r.simotelSend(st.End+st.RecordLag, r.simotelCdrQueue(ts, p))
	}
}

// queuePart is one queue's stay of the call: the whole call, or (overflow) the first
// queue until OverflowAt and the second from then on.
type queuePart struct {
	queue      string
	start, end time.Duration
	chain      []Attempt
	answered   bool
}

func (r *renderer) simotelQueueParts() []queuePart {
	st := r.st
	if st.Overflow == "" {
		return []queuePart{{st.Queue, 0, st.End, st.Chain, st.Answered}}
	}
	first, second := queuePart{queue: st.Queue, end: st.OverflowAt}, queuePart{queue: st.Overflow, start: st.OverflowAt, end: st.End, answered: st.Answered}
	for _, a := range st.Chain {
		if a.Start < st.OverflowAt {
			first.chain = append(first.chain, a)
		} else {
			second.chain = append(second.chain, a)
		}
	}
	return []queuePart{first, second}
}

func simotelDisposition(st Story) string {
	switch {
	case st.Answered:
		return "ANSWERED"
	case st.CallKind() == AllBusy:
		return "BUSY"
	}
	return "NO ANSWER"
}

func (r *renderer) simotelRecord() string {
	if !r.st.Recorded || !r.st.Answered {
		return ""
	}
	return r.st.Start.In(r.loc()).Format("20060102") + "_" + r.st.ID + ".mp3"
}

func (r *renderer) simotelCdr(ts func(time.Duration) string, typ, src, dst, entry, outgoing string) obj {
	st := r.st
	var dur, bill, wait any = secs(st.End), secs(st.Talk()), secs(st.Wait())
	if r.variant != "g4-json" && r.variant != "rest4-json" {
		dur, bill, wait = scalar(dur), scalar(bill), scalar(wait)
	}
	return obj{{"event_name", "Cdr"}, {"starttime", ts(0)}, {"endtime", ts(st.End)}, {"src", src}, {"dst", dst},
		{"type", typ}, {"disposition", simotelDisposition(st)}, {"duration", dur}, {"billsec", bill}, {"wait", wait},
		{"record", r.simotelRecord()}, {"poll_point", ""}, {"poll_lable", ""}, {"entry_point", entry},
		{"outgoing_point", outgoing}, {"unique_id", st.ID}, {"originated_call_id", ""}}
}

func (r *renderer) simotelCdrQueue(ts func(time.Duration) string, p queuePart) obj {
	st := r.st
	dst, answered, hangup, status, agentWait := "", "", "caller", "ABANDON", 0
	disp, wait, talk := simotelDisposition(st), p.end-p.start, time.Duration(0)
	if p.answered {
		dst, answered, hangup, status = st.Agent.Ext, ts(st.Answer), "agent", "CONTINUE"
		wait, talk = st.Answer-p.start, st.Talk()
		for _, a := range p.chain {
			if a.Outcome == call.OutcomeAnswer {
				agentWait = secs(a.End - a.Start)
			}
		}
	} else if p.end < st.End { // left for the overflow queue
		disp, status = "NO ANSWER", "EXITWITHTIMEOUT"
	}
	ring := ""
	if len(p.chain) > 0 {
		ring = ts(p.chain[0].Start)
	}
	var detail []obj
	for _, a := range p.chain {
		disp, comment, bill := "NO ANSWER", "", 0
		switch a.Outcome {
		case call.OutcomeAnswer:
			disp, bill = "ANSWERED", secs(st.AgentTalk())
		case call.OutcomeBusy:
			disp = "BUSY"
		case call.OutcomeUnavailable:
			disp, comment = "FAILED", "unregistered"
		}
		detail = append(detail, obj{{"src", st.Caller}, {"dst", a.Agent.Ext}, {"billsec", scalar(bill)},
			{"wait", scalar(secs(a.End - a.Start))}, {"disposition", disp}, {"comment", comment}, {"tries", "1"}})
	}
	record := ""
	if p.answered {
		record = r.simotelRecord()
	}
	return obj{{"event_name", "CdrQueue"}, {"unique_id", st.ID}, {"originated_call_id", ""}, {"src", st.Caller},
		{"dst", dst}, {"queue", p.queue}, {"billsec", scalar(secs(talk))}, {"wait", scalar(secs(wait))},
		{"duration", scalar(secs(p.end - p.start))}, {"agent_wait", scalar(agentWait)}, {"disposition", disp},
		{"hangup", hangup}, {"queue_status", status}, {"comment", ""}, {"record", record},
		{"answeredtime", answered}, {"ringtime", ring}, {"starttime", ts(p.start)}, {"endtime", ts(p.end)}, {"detail", detail}}
}

// simotelSend encodes one event in the source's variant: G posts to the hook URL, Rest
// appends the event name; v4 posts JSON, v3 form fields; GET sends a query string.
func (r *renderer) simotelSend(at time.Duration, o obj) {
	name := o[0].v.(string)
	path := ""
	if strings.HasPrefix(r.variant, "rest") {
		path = "/" + name
	}
	switch r.variant {
	case "g4-json", "rest4-json":
		r.add(at, "POST", path, "", "application/json", o.json())
	case "g4-get", "rest4-get":
		r.add(at, "GET", path, o.form(false), "", nil)
	case "g3-form", "rest3-form":
		r.add(at, "POST", path, "", "application/x-www-form-urlencoded", []byte(o.form(false)))
	case "api-data-form":
		r.add(at, "POST", path, "", "application/x-www-form-urlencoded", []byte(obj{{"api_data", o}}.form(false)))
	}
}
