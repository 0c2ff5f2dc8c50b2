package server

// Voicemail messages: who sees which (everyone who sees calls, and an agent the messages
// of their queues, their calls and their own mailbox), where they show (the call card of
// the call they were left on, the agent's page), and playing them through the same
// proxy as recordings. What links a message to a call lives in live/voicemails.go.

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/ingest"
	"ringside/server/live"
	"ringside/views"
)

// maxVoicemails is how many messages an agent's page lists.
const maxVoicemails = 10

// voicemailsOf lists the messages a person sees, the latest first, marked when held.
func (s *Server) voicemailsOf(u *config.User) []call.Voicemail {
	var list []call.Voicemail
	var me call.Agent
	s.board.read(func(b *live.Board) {
		list = b.Voicemails()
		me, _ = b.Agent(u.Agent)
	})
	list = visibleTo(u, me.Queues, list, voicemailFor)
	for i := range list {
		list[i] = s.playableVoicemail(list[i])
	}
	return list
}

// voicemailFor says whether a message is one of agent's.
func voicemailFor(v call.Voicemail, agent string, queues []string) bool {
	return slices.Contains(v.Agents, agent) || (v.Queue != "" && slices.Contains(queues, v.Queue))
}

func (s *Server) agentVoicemails(agent string) []call.Voicemail {
	list := s.voicemailsOf(&config.User{Role: "agent", Agent: agent})
	return list[:min(len(list), maxVoicemails)]
}

// voicemailsOfCall lists the messages left on a call.
func (s *Server) voicemailsOfCall(id string) []call.Voicemail {
	var out []call.Voicemail
	s.board.read(func(b *live.Board) {
		for _, v := range b.Voicemails() {
			if v.Call == id {
				out = append(out, s.playableVoicemail(v))
			}
		}
	})
	return out
}

// playableVoicemail says why a message cannot be played, when it cannot.
func (s *Server) playableVoicemail(v call.Voicemail) call.Voicemail {
	vendor := ""
	if src, ok := s.cfg().Source(v.Source); ok {
		vendor = src.Vendor
	}
	if why := s.heldWhy(v.Source, vendor, v.Ref); why != "" || v.Ref == "" {
		v.URL, v.Held = "", why
		if v.Ref == "" {
			v.Held = views.HeldEnglish(views.HeldNoFile, v.Source)
		}
	}
	return v
}

// pageVoicemail is GET /voicemails/{source}/{id}: the message's file through the
// source's Simotel API, or a redirect to the vendor's link.
func (s *Server) pageVoicemail(c *fiber.Ctx) error {
	u := sessionOf(c).User
	key := pathParam(c, "source") + ":" + pathParam(c, "id")
	i := slices.IndexFunc(s.voicemailsOf(u), func(v call.Voicemail) bool { return v.ID == key })
	var v call.Voicemail
	s.board.read(func(b *live.Board) { v, _ = b.Voicemail(key) })
	if i < 0 || v.Ref == "" {
		return plain(c, fiber.StatusNotFound, "err_no_voicemail")
	}
	if ingest.IsRecordingURL(v.Ref) {
		return s.redirectRecording(c, call.Call{ID: v.ID, Source: v.Source}, v.Ref)
	}
	return s.streamFromPBX(c, v.Source, v.ID, v.Ref)
}
