package live

import (
	"strings"

	"ringside/server/call"
)

// Records that stand alone. A whole-call record may name the PBX-side party only among
// its numbers: a Simotel Cdr of a direct call has the caller in src and the agent's
// extension in dst (inbound), or the agent in src (outbound). Matched against the
// directory, that number is the call's agent when nothing more specific (a queue record,
// the live answer) says who it was; and an inbound call's "To" is the number dialled
// (the DID), never the agent's extension. A number the directory does not know stays a
// number: an IVR, a queue or a ring group is nobody's call.

// recordParties returns the records with an agent's extension taken out of an inbound
// call's To, and the agent the last record names that way ("" if none).
func (b *Board) recordParties(recs []*call.Event) ([]*call.Event, string) {
	out := make([]*call.Event, len(recs))
	agent := ""
	for i, e := range recs {
		out[i] = e
		if e.Agent != "" {
			continue
		}
		party := e.To
		if e.Direction == call.Outbound {
			party = e.From
		}
		id, ok := b.directoryOf(e.Source, party)
		if !ok {
			continue
		}
		agent = id
		if e.Direction == call.Inbound {
			cp := *e
			cp.To = e.DID
			out[i] = &cp
		}
	}
	return out, agent
}

// directoryOf is the directory person a source's identity is.
func (b *Board) directoryOf(source, ident string) (string, bool) {
	if ident == "" {
		return "", false
	}
	id, ok := b.dir[strings.ToLower(source+":"+ident)]
	return id, ok
}
