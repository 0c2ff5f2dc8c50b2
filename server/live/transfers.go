package live

import "ringside/server/call"

// recordTransfers adds the transfers only a post-call record tells (a cloud CDR whose
// last answering agent is not the first), unless a live event already told the same
// one, and names every transfer's parties: each is the agent its vendor identity is,
// so pages show people, not extensions.
func (b *Board) recordTransfers(source string, xs []call.Transfer, ls []call.Leg, groups ...[]*call.Event) []call.Transfer {
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
	for i := range xs {
		xs[i].FromAgent = b.partyAgent(source, xs[i].From, ls)
		xs[i].ToAgent = b.partyAgent(source, xs[i].To, ls)
	}
	return xs
}

// partyAgent is the agent a transfer party is: the directory's person, else one of the
// call's own legs under that vendor identity; "" for anyone else. It reads nothing but
// the directory and the call, so the fold stays a function of the call's events.
func (b *Board) partyAgent(source string, party string, ls []call.Leg) string {
	if party == "" {
		return ""
	}
	ident := source + ":" + party
	if id := b.resolve(ident, nil); id != ident {
		return id
	}
	for _, l := range ls {
		if l.Agent == ident {
			return ident
		}
	}
	return ""
}
