package ingest

import "ringside/server/call"

// Retries of deliveries without a vendor id. Simotel NewState and VOIPEX Ringing,
// Answered and Hangup carry no id of their own and (Simotel) no time, so a retry is
// byte-for-byte the original, and so is a real repeat: "Idle, Pause, Idle", or a queue
// ringing the same agent again for the same call (a second ring round). The store tells
// them apart by streams (see store.Delivery): a delivery identical to a recent one is a
// retry unless the stream it is judged on was marked since.
//
//   - an agent's plain state (idle, paused, logged out, a ring or call without a call id)
//     is judged on "agent:X", which every state of X marks: the latest state repeats only
//     after another one;
//   - a ring of call C at X is judged on "legs:X", which only the end of one of X's legs
//     marks (idle, logged out, a hangup naming X): a second ring round follows an end,
//     while the agent answering between the original and its retry does not count; and
//     it is sealed by "answered:X:C": once X answered C, the same ring is a retry even
//     after X went idle again (a transfer back to X is the one repeat this cannot see);
//   - X answering C is judged on its content alone: the same answer of the same call
//     does not happen twice;
//   - a hangup naming X is judged on "agent:X" and marks X's legs.
func setStreams(res *Result) {
	e := res.Events[0]
	if e.Agent == "" {
		return
	}
	agent, legs := "agent:"+e.Agent, "legs:"+e.Agent
	callScoped := e.Call != ""
	switch {
	case e.Type == call.LegRinging && callScoped:
		res.Stream, res.Marks, res.Seal = legs, []string{agent}, "answered:"+e.Agent+":"+e.Call
	case e.Type == call.CallAnswered && callScoped,
		e.Type == call.AgentState && callScoped && e.AgentState == call.StateOnCall:
		res.Marks = []string{agent, "answered:" + e.Agent + ":" + e.Call}
	case e.Type == call.LegEnded, e.Type == call.CallEnded, e.Type == call.AgentLogout,
		e.Type == call.AgentState && (e.AgentState == call.StateAvailable || e.AgentState == call.StateOffline):
		res.Stream, res.Marks = agent, []string{agent, legs}
	case e.Type == call.AgentState, e.Type == call.AgentLogin, e.Type == call.AgentPaused,
		e.Type == call.AgentUnpaused, e.Type == call.LegRinging, e.Type == call.CallAnswered:
		res.Stream = agent
	}
}
