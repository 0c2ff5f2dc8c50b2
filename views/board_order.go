package views

import (
	"slices"
	"strconv"
	"strings"

	"ringside/server/call"
)

// The wallboard lists agents grouped by state, busiest first: on a call, ringing,
// paused (with the reason and the time), available, offline last; by name within a
// group. The page keeps that order as rows change live (web/app.js sorts by data-rank,
// then data-name), so a TV that shows the list a page at a time shows the groups in turn.

// stateRank is an agent state's place in the wallboard's order.
func stateRank(state call.AgentStatus) int {
	switch state {
	case call.StateOnCall:
		return 0
	case call.StateRinging:
		return 1
	case call.StatePaused:
		return 2
	case call.StateAvailable:
		return 3
	case call.StateOffline, "":
		return 5
	}
	return 4 // a state this list does not know yet: before the offline ones
}

func rankAttr(state call.AgentStatus) string { return strconv.Itoa(stateRank(state)) }

// boardOrder is the agents in the wallboard's order (a copy).
func boardOrder(agents []call.Agent) []call.Agent {
	out := slices.Clone(agents)
	slices.SortStableFunc(out, func(a, b call.Agent) int {
		if r := stateRank(a.State) - stateRank(b.State); r != 0 {
			return r
		}
		return strings.Compare(strings.ToLower(agentName(a)), strings.ToLower(agentName(b)))
	})
	return out
}
