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
// (the DID), never the agent's extension or the queue it reached. A number the directory
// does not know names nobody: an IVR, a queue or a ring group is nobody's call.

// recordParties returns the records with an inbound call's To set to the number dialled
// (the DID, when the record gives one), and the agent the last record names by a
// directory number ("" if none).
func (b *Board) recordParties(recs []*call.Event) ([]*call.Event, string) {
	out := make([]*call.Event, len(recs))
	agent := ""
	for i, e := range recs {
		out[i] = e
		party := e.To
		if e.Direction == call.Outbound {
			party = e.From
		}
		if id, ok := b.directoryOf(e.Source, party); ok && e.Agent == "" {
			agent = id
		}
		if e.Direction == call.Inbound && e.DID != "" && e.To != e.DID {
			cp := *e
			cp.To = e.DID // the callee PBX-side (an extension, a queue) is not who was dialled
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
