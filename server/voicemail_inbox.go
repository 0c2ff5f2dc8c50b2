package server

import (
	"context"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/server/simotel"
	"ringside/store"
)

// Simotel voicemail inboxes. Where a source has a Simotel API, Ringside also asks the
// PBX for the messages of the last two days (voicemails/inbox/search) in the background,
// so a message whose VoiceMail webhook never arrived (sent while Ringside was down, or
// the event not enabled) still reaches the pages. Each message found is logged as the
// same voicemail.saved event the webhook gives, under the same delivery key
// ("voicemail:<id>"), so whichever comes second is a duplicate and the board stays a
// function of the log. The board never waits for the PBX.
const (
	inboxFirst  = 5 * time.Second
	inboxEvery  = 2 * time.Minute
	inboxWindow = 48 * time.Hour
)

func (s *Server) runVoicemailInbox(stop <-chan struct{}) {
	poll(stop, inboxFirst, inboxEvery, time.Minute, s.refreshVoicemailInbox)
}

// refreshVoicemailInbox logs the inbox messages of every Simotel API the board lacks.
func (s *Server) refreshVoicemailInbox(ctx context.Context) {
	now := s.now()
	for src, cl := range s.pbx() {
		conf, ok := s.cfg().Source(src)
		if !ok {
			continue
		}
		loc := conf.Location
		if loc == nil {
			loc = time.UTC
		}
		msgs, err := cl.InboxSearch(ctx, "", now.Add(-inboxWindow), now, loc)
		if err != nil {
			s.log.Warn("Simotel voicemail inbox", "source", src, "err", err)
			continue
		}
		for _, m := range msgs {
			if m.ID == "" || m.File == "" || m.Error != "" {
				continue // not stored by the PBX: nothing to play
			}
			var known bool
			s.board.read(func(b *live.Board) { _, known = b.Voicemail(src + ":" + m.ID) })
			if known {
				continue
			}
			at, err := simotel.ParseInboxDate(m.Date, loc)
			if err != nil {
				s.log.Warn("Simotel voicemail inbox: a message's date", "source", src, "id", m.ID, "err", err)
				continue
			}
			e := call.Event{Source: src, Vendor: "simotel", Name: "InboxMessage", Type: call.VoicemailSaved, Voicemail: m.ID,
				From: m.Caller, To: m.Mailbox, At: at, ReceivedAt: now, Recordings: []string{m.File}}
			if d, ok := m.DurationS(); ok {
				e.DurationS = call.F(d)
			}
			d := store.Delivery{Source: src, Method: "API", Path: "/voicemails/inbox/search", ReceivedAt: now, Key: "voicemail:" + m.ID}
			if _, err := s.store.Append(ctx, d, []call.Event{e}); err != nil {
				s.log.Error("logging an inbox voicemail failed", "source", src, "id", m.ID, "err", err)
				return
			}
		}
	}
}
