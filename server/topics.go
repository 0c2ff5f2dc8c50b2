package server

// Topics are what a page's socket listens to (hub topics). Each is published once per
// variant (language and zone) that has subscribers: see publish in lang.go.
const (
	topicWallboard = "wallboard" // the wallboard: tiles, agents, active calls, chart, summary
	topicCallbacks = "callbacks" // the wallboard's callers to call back (a slower window)
	topicCDRs      = "cdrs"      // the call records page: rows of calls as they end
)

// agentTopic is one agent's page: screen-pops, their state, lists and recent calls.
func agentTopic(id string) string { return "agent:" + id }

// callTopic is one call's card page.
func callTopic(id string) string { return "call:" + id }
