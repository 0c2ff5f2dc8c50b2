package server

import (
	"slices"

	"ringside/server/call"
	"ringside/server/ingest"
	"ringside/views"
)

// What Ringside can play. A recording or voicemail named by a vendor URL is redirected
// to; a Simotel file name streams through the source's Simotel API. Anything else is
// held by the PBX: a Simotel file on a source without [sources.api], or a vendor id
// without a link (cloudcdr recordingIds). Pages show those as what they are instead of
// a player that would answer 404. Decided when a call is shown, so configuring an API
// makes every stored call's recordings playable at once.

// playable marks the recordings of a call that Ringside cannot play. The call's slices
// are shared with the board, so it works on a copy.
func (s *Server) playable(c call.Call) call.Call {
	if len(c.Recordings) == 0 {
		return c
	}
	recs := slices.Clone(c.Recordings)
	for i := range recs {
		if why := s.heldWhy(c.Source, c.Vendor, recs[i].Ref); why != "" {
			recs[i].URL, recs[i].Held = "", why
		}
	}
	c.Recordings = recs
	return c
}

// playables is playable for a list of calls.
func (s *Server) playables(cs []call.Call) []call.Call {
	out := make([]call.Call, len(cs))
	for i, c := range cs {
		out[i] = s.playable(c)
	}
	return out
}

// heldWhy says why Ringside cannot play a vendor reference of a source, or "".
func (s *Server) heldWhy(source, vendor, ref string) string {
	switch {
	case ingest.IsRecordingURL(ref):
		return ""
	case vendor == "simotel" && s.pbx()[source] != nil:
		return ""
	case vendor == "simotel":
		return views.HeldEnglish(views.HeldNoAPI, source)
	}
	return views.HeldEnglish(views.HeldNoLink, source)
}
