package views

import "ringside/server/call"

// stateNotReported is what the pages show for an agent whose PBXs send no presence
// (cloudcdr, SipSim) and who is not on a call: nothing says whether they are there, so
// the page says so instead of "Offline".
const stateNotReported call.AgentStatus = "not_reported"

// shownState is the agent's state as the pages show it.
func shownState(a call.Agent) call.AgentStatus {
	if a.PresenceUnreported && a.State == call.StateOffline {
		return stateNotReported
	}
	return a.State
}
