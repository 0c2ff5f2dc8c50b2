package server

import (
	"ringside/server/call"
	"strings"

	"ringside/server/config"
)

// Who may make the PBX act (pause, resume, click-to-call) is in access.go, one table for
// the pages and the API, so neither grants what the other refuses. A call placed through the PBX is
// paid by the company's trunk: its first leg is always the extension of an agent in
// the directory ([[agents]]), never an arbitrary "source:number", and the number it
// dials must pass the source's dial_pattern (default: digits with an optional "+",
// so no feature codes).

var (
	errActionForbidden = say("err_action_forbidden")
	errNotDirectory    = say("err_not_directory")
)

// actor resolves which agent a person makes act: their own for an agent ("" or their
// id), the named one for supervisors and admins. It refuses anything else.
func actor(u *config.User, agentID string) (string, error) {
	switch {
	case may(u, actForAnyone):
		if agentID == "" {
			return "", say("err_choose_agent")
		}
		return agentID, nil
	case may(u, actForSelf):
		if agentID != "" && agentID != u.Agent {
			return "", errActionForbidden
		}
		return u.Agent, nil
	}
	return "", errActionForbidden
}

// directoryExtension is an agent's extension on a source with a Simotel API, taken
// from the directory alone.
func (s *Server) directoryExtension(agentID string) (src *config.Source, ext string, err error) {
	cfg := s.cfg()
	for _, d := range cfg.Agents {
		if d.ID != agentID {
			continue
		}
		for _, id := range d.Match {
			name, e, ok := strings.Cut(id, ":")
			if ok && e != "" && s.pbx()[name] != nil {
				src, _ := cfg.Source(name)
				return src, e, nil
			}
		}
		return nil, "", say("err_no_extension", "Agent", agentID)
	}
	return nil, "", say("err_not_in_directory", "Agent", agentID).wrapping(errNotDirectory)
}

// callers lists, in directory order, the agents whose phone may place a call.
func (s *Server) callers() []string {
	var out []string
	for _, d := range s.cfg().Agents {
		if _, _, err := s.directoryExtension(d.ID); err == nil {
			out = append(out, d.ID)
		}
	}
	return out
}

// dialable checks a number a source's PBX is asked to call.
func dialable(src *config.Source, number string) error {
	re := src.Dial
	if re == nil { // a source built in code, not through config.Check
		re = call.DefaultDial
	}
	if number == "" {
		return say("err_no_number")
	}
	if len(number) > 32 || !re.MatchString(number) {
		return say("err_not_dialable", "Number", number, "Source", src.Name)
	}
	return nil
}
