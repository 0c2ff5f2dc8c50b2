package ingest

import "ringside/server/call"

// Retries of deliveries without a vendor id. Simotel NewState and VOIPEX Ringing,
// Answered and Hangup carry no id of their own and (Simotel) no time, so a retry is
// byte-for-byte the original, and so is a real repeat: "Idle, Pause, Idle", or a queue
// ringing the same agent again for the same call (a second ring round). The store tells
// them apart by streams (see store.Delivery): a delivery identical to a recent one is a
// retry unless the stream it is judged on was marked since, and always a retry once
// one of its seals was marked since.
//
//   - an agent's plain state (idle, paused, logged out, a ring or call without a call id)
//     is judged on "agent:X", which every state of X marks: the latest state repeats only
//     after another one (a retry of an older state after a change cannot be told from
//     the change happening again, and is logged again);
//   - a ring of call C at X is judged on "legs:X", which only the end of one of X's legs
//     marks (idle, logged out, a hangup naming X): a second ring round follows an end,
//     while the agent answering between the original and its retry does not count. It
//     is sealed by "answered:X:C" (X answered C: the same ring again is its retry, even
//     after X went idle; a transfer back to X is the one repeat this cannot see) and by
//     "ended:C" (nothing rings on a call that is over);
//   - X answering C is judged on its content alone: the same answer of the same call
//     does not happen twice;
//   - a hangup naming X is judged on "agent:X" and marks X's legs;
//   - the end of call C (a hangup, a final record: keyed or not) marks "ended:C".
//
// What no receiver can tell apart is left as the vendor's order makes it: a second ring
// round delivered before the first round's end (reordered in flight) is taken for the
// first ring's retry.
func setStreams(res *Result) {
	e := res.Events[0]
	if e.Call != "" && (e.Type == call.CallEnded || e.Type == call.CallRecord) && e.Role != call.RoleMonitor {
		res.Marks = append(res.Marks, "ended:"+e.Call)
	}
	if e.Agent == "" || res.Key != "" {
		return // a vendor id, or nobody's state: the content (or the key) decides
	}
	agent, legs := "agent:"+e.Agent, "legs:"+e.Agent
	callScoped := e.Call != ""
	switch {
	case e.Type == call.LegRinging && callScoped:
		res.Stream, res.Seals = legs, []string{"answered:" + e.Agent + ":" + e.Call, "ended:" + e.Call}
		res.Marks = append(res.Marks, agent)
	case e.Type == call.CallAnswered && callScoped,
		e.Type == call.AgentState && callScoped && e.AgentState == call.StateOnCall:
		res.Marks = append(res.Marks, agent, "answered:"+e.Agent+":"+e.Call)
	case e.Type == call.LegEnded, e.Type == call.CallEnded, e.Type == call.AgentLogout,
		e.Type == call.AgentState && (e.AgentState == call.StateAvailable || e.AgentState == call.StateOffline):
		res.Stream, res.Marks = agent, append(res.Marks, agent, legs)
	case e.Type == call.AgentState, e.Type == call.AgentLogin, e.Type == call.AgentPaused,
		e.Type == call.AgentUnpaused, e.Type == call.LegRinging, e.Type == call.CallAnswered:
		res.Stream, res.Marks = agent, append(res.Marks, agent)
	}
}
