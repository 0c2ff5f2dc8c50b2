package server

import (
	"strings"

	"ringside/server/config"
)

// Who may make the PBX act (pause, resume, click-to-call). One table for the pages and
// the API, so neither grants what the other refuses. A call placed through the PBX is
// paid by the company's trunk: its first leg is always the extension of an agent in
// the directory ([[agents]]), never an arbitrary "source:number", and the number it
// dials must pass the source's dial_pattern (default: digits with an optional "+",
// so no feature codes).

// actionScope is how far a role's PBX actions reach.
type actionScope int

const (
	actNobody actionScope = iota // managers (and unknown roles): they read records only
	actSelf                      // an agent: for their own extension (their page's buttons)
	actAny                       // any agent of the directory
)

// actionRoles is the table.
var actionRoles = map[string]actionScope{
	"admin":      actAny,
	"supervisor": actAny,
	"agent":      actSelf,
}

// MayAct says whether a role may make the PBX act at all (pages show the controls).
func MayAct(role string) bool { return actionRoles[role] != actNobody }

var (
	errActionForbidden = say("err_action_forbidden")
	errNotDirectory    = say("err_not_directory")
)

// actor resolves which agent a person makes act: their own for an agent ("" or their
// id), the named one for supervisors and admins. It refuses anything else.
func actor(u *config.User, agentID string) (string, error) {
	switch actionRoles[u.Role] {
	case actSelf:
		if agentID != "" && agentID != u.Agent {
			return "", errActionForbidden
		}
		return u.Agent, nil
	case actAny:
		if agentID == "" {
			return "", say("err_choose_agent")
		}
		return agentID, nil
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
		re = config.DefaultDial
	}
	if number == "" {
		return say("err_no_number")
	}
	if len(number) > 32 || !re.MatchString(number) {
		return say("err_not_dialable", "Number", number, "Source", src.Name)
	}
	return nil
}
