package server

import (
	"errors"

	"ringside/server/simotel"
)

// forPeople is what a person is told when the PBX did not do something (an agent's
// toast, a recording that does not play, an API client's answer). The full error
// names the API's address — an internal URL — and what to fix in [sources.api]: that
// goes to the log, for the admin. People get Ringside's own refusals as they are, the
// PBX's own words when it refused an operation, and otherwise a plain sentence (a
// said error: the reader's language on pages, English in the API).
func (s *Server) forPeople(err error, what string) error {
	var pbx *simotel.Error
	switch {
	case errors.Is(err, simotel.ErrUnreachable):
		s.log.Warn(what+": the PBX did not answer", "err", err)
		return say("pbx_no_answer")
	case errors.As(err, &pbx):
		s.log.Warn(what+": the PBX refused", "err", err)
		if pbx.Status >= 200 && pbx.Status < 300 && pbx.Message != "" {
			return say("pbx_refused_because", "Message", pbx.Message)
		}
		return say("pbx_refused")
	}
	return err
}
