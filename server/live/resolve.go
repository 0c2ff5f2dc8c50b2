package live

import "ringside/server/call"

// AgentID is the agent an event's identity resolves to: the directory person one of
// its identities matches, else the identity itself ("" for an event naming no agent).
func (b *Board) AgentID(e call.Event) string {
	return b.resolve(e.Agent, uniqueSorted(e.AgentAliases))
}
