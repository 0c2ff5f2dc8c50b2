package server

import (
	"strings"

	"ringside/server/call"
	"ringside/server/config"
)

// Which PBX controls a person's pages offer: only those whose action can work.
// Click-to-call and pause are carried out through a Simotel API ([sources.api]), for an
// agent of the directory with an extension on that source (see actions.go); anywhere
// else the PBX cannot be asked, so the pages show no button that would only fail. A
// number a call button would dial must look dialable (views.CallButton); a source's own
// narrower dial_pattern still refuses with a message in the page's toast.

// mayCall says whether u's pages offer click-to-call: an agent's when their own
// extension is on a source with an API, a supervisor's or admin's when some agent's is.
func (s *Server) mayCall(u *config.User) bool {
	switch {
	case may(u, actForAnyone):
		return len(s.callers()) > 0
	case may(u, actForSelf):
		_, _, err := s.directoryExtension(u.Agent)
		return err == nil
	}
	return false
}

// mayPause says whether agent a's page offers pause and resume: a has an extension on
// a source with an API and is in a queue of that source (the page's form names no
// queue, so the PBX is asked for each of them).
func (s *Server) mayPause(a call.Agent) bool {
	src, _, err := s.directoryExtension(a.ID)
	if err != nil {
		return false
	}
	for _, q := range a.Queues {
		if strings.HasPrefix(q, src.Name+":") {
			return true
		}
	}
	return false
}
