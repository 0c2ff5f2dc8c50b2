package live

import (
	"strings"

	"ringside/server/call"
)

// recordTransfers adds the transfers only a post-call record tells (a cloud CDR whose
// last answering agent is not the first), unless a live event already told the same
// one, and names every transfer's parties: each is the agent its vendor identity is,
// so pages show people, not extensions.
func (b *Board) recordTransfers(source string, xs []call.Transfer, identities func() map[string]string, groups ...[]*call.Event) []call.Transfer {
	for _, g := range groups {
		for _, e := range g {
			if e.TransferFrom == "" && e.TransferTo == "" {
				continue
			}
			known := false
			for _, x := range xs {
				known = known || (x.From == e.TransferFrom && x.To == e.TransferTo)
			}
			if !known { // the record does not say when: At stays unknown
				xs = append(xs, call.Transfer{From: e.TransferFrom, To: e.TransferTo})
			}
		}
	}
	if len(xs) == 0 {
		return xs
	}
	known := identities()
	for i := range xs {
		xs[i].FromAgent = b.partyAgent(source, xs[i].From, known)
		xs[i].ToAgent = b.partyAgent(source, xs[i].To, known)
	}
	return xs
}

// partyAgent is the agent a transfer party is: the directory's person, else the agent
// one of the call's own events or legs names by that identity (a VOIPEX transfer names
// extensions, which its Ringing events carry as the agents' Line); "" for anyone else.
// It reads nothing but the directory and the call, so the fold stays a function of the
// call's events.
func (b *Board) partyAgent(source, party string, known map[string]string) string {
	if party == "" {
		return ""
	}
	ident := source + ":" + party
	if id := b.resolve(ident, nil); id != ident {
		return id
	}
	return known[strings.ToLower(ident)]
}

// callIdentities maps every agent identity a call's events and legs name (aliases
// included, lowercased) to the agent it is.
func (b *Board) callIdentities(evs []stored, ls []call.Leg) map[string]string {
	known := map[string]string{}
	for _, l := range ls {
		known[strings.ToLower(l.Agent)] = l.Agent
	}
	for i := range evs {
		e := &evs[i].ev
		if e.Agent == "" {
			continue
		}
		a := b.resolve(e.Agent, e.AgentAliases)
		for _, ident := range append([]string{e.Agent}, e.AgentAliases...) {
			known[strings.ToLower(ident)] = a
		}
	}
	return known
}
