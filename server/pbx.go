package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/ingest"
	"ringside/server/live"
	"ringside/server/simotel"
	"ringside/store"
	"ringside/views"
)

// pbxClients builds a Simotel API client per source that has [sources.api].
func pbxClients(cfg *config.Config) map[string]*simotel.Client {
	out := map[string]*simotel.Client{}
	for _, src := range cfg.Sources {
		if a := src.API; a != nil && a.URL != "" {
			out[src.Name] = simotel.New(simotel.Config{URL: a.URL, Username: a.Username, Password: a.Password, APIKey: a.APIKey, Context: a.Context}, nil)
		}
	}
	return out
}

// apiStatus pings a source's Simotel API for the settings page: "" without one,
// views.APIOK, or views.APIUnreachable and why.
func (s *Server) apiStatus(c *fiber.Ctx, src *config.Source) (status, why string) {
	cl := s.pbx()[src.Name]
	if cl == nil {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		return views.APIUnreachable, err.Error()
	}
	return views.APIOK, ""
}

// pageRecording plays /recordings/{call}/{n}: a Simotel file streams through the API (the
// browser never sees PBX credentials) with Range passed on, so <audio> can seek; a
// vendor https URL is redirected to. Nothing else is ever linked.
func (s *Server) pageRecording(c *fiber.Ctx) error {
	sess := sessionOf(c)
	cl, ok, err := s.findCall(pathParam(c, "call"))
	if err != nil {
		return plain(c, fiber.StatusServiceUnavailable, "err_store")
	}
	n, nerr := strconv.Atoi(pathParam(c, "n"))
	if !ok || !mayView(sess.User, cl) || nerr != nil || n < 0 || n >= len(cl.Recordings) {
		return plain(c, fiber.StatusNotFound, "err_no_recording")
	}
	ref := cl.Recordings[n].Ref
	if ingest.IsRecordingURL(ref) {
		return s.redirectRecording(c, cl, ref)
	}
	return s.streamFromPBX(c, cl.Source, cl.ID, ref)
}

// streamFromPBX streams a file the Simotel API of source holds (a recording or a
// voicemail message; what names it in the log), passing Range on.
func (s *Server) streamFromPBX(c *fiber.Ctx, source, what, ref string) error {
	api := s.pbx()[source]
	if api == nil {
		return plain(c, fiber.StatusNotFound, "err_rec_no_api", "Source", source)
	}
	audio, err := api.Download(c.UserContext(), ref, c.Get(fiber.HeaderRange))
	if err != nil {
		s.log.Warn("recording download failed", "of", what, "err", err)
		if errors.Is(err, simotel.ErrNotFound) {
			return plain(c, fiber.StatusNotFound, "err_rec_no_file")
		}
		return plain(c, fiber.StatusBadGateway, "err_rec_not_given", "Why", sayIn(localeOf(c), s.forPeople(err, "recording download")))
	}
	for k, v := range audio.Header {
		if len(v) > 0 {
			c.Set(k, v[0])
		}
	}
	c.Set("Cache-Control", "private, max-age=3600")
	c.Status(audio.Status)
	size := -1
	if l, err := strconv.Atoi(audio.Header.Get("Content-Length")); err == nil {
		size = l
	}
	c.Context().SetBodyStream(readCloser{audio.Body}, size)
	return nil
}

// redirectRecording sends the browser to a vendor's recording URL, checked again by
// today's policy of its source (it was checked when decoded; a record kept by an older
// version, or a narrowed recording_hosts, is refused here), re-encoded so no byte of
// it can end the Location header.
func (s *Server) redirectRecording(c *fiber.Ctx, cl call.Call, ref string) error {
	var policy ingest.RecordingPolicy
	if src, ok := s.cfg().Source(cl.Source); ok {
		policy = ingestSource(src).Recordings
	}
	safe, err := policy.CheckRecordingURL(ref)
	if err != nil {
		s.log.Warn("recording link refused", "call", cl.ID, "source", cl.Source, "err", err)
		return plain(c, fiber.StatusForbidden, "err_rec_link", "Source", cl.Source)
	}
	return c.Redirect(safe, fiber.StatusFound)
}

// readCloser lets fasthttp close the upstream body when the answer is done.
type readCloser struct{ io.ReadCloser }

// invalidAction is a request the PBX is never asked to carry out (400).
type invalidAction struct{ error }

func (e invalidAction) Unwrap() error { return e.error }

// originate is click-to-call: the agent's phone rings first, then the number.
func (s *Server) originate(ctx context.Context, agentID, number string) (string, error) {
	src, ext, err := s.directoryExtension(agentID)
	if err != nil {
		return "", invalidAction{err}
	}
	number = strings.TrimSpace(number)
	if err := dialable(src, number); err != nil {
		return "", invalidAction{err}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := s.pbx()[src.Name].Originate(ctx, simotel.Originate{Caller: ext, Callee: number, CallerID: ext})
	if err != nil {
		return "", err
	}
	s.log.Info("originated", "agent", agentID, "source", src.Name, "ext", ext, "number", number, "originated_call_id", id)
	return id, nil
}

// pauseAgent pauses or resumes an agent through the PBX; the board changes when the
// PBX confirms with its NewState event, not before. The Simotel API takes no reason:
// a pause's reason is logged as Ringside's own event (call.AgentPauseNote), which the
// board gives to the PBX's confirming pause.
func (s *Server) pauseAgent(ctx context.Context, agentID, queue, reason string, pause bool) error {
	source, ext, err := s.directoryExtension(agentID)
	if err != nil {
		return invalidAction{err}
	}
	src := source.Name
	if reason = strings.TrimSpace(reason); len(reason) > 100 {
		return invalidAction{say("err_reason_long")}
	}
	var queues []string
	if queue != "" {
		name := strings.TrimPrefix(queue, src+":") // our id pbx1:902 or the PBX's name 902
		queues = []string{name}
	} else {
		s.board.read(func(b *live.Board) {
			if a, found := b.Agent(agentID); found {
				for _, q := range a.Queues {
					if qs, name, ok := strings.Cut(q, ":"); ok && qs == src {
						queues = append(queues, name)
					}
				}
			}
		})
	}
	if len(queues) == 0 {
		return say("err_no_queue", "Source", src)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for _, q := range queues {
		var err error
		if pause {
			err = s.pbx()[src].PauseAgent(ctx, q, ext)
		} else {
			err = s.pbx()[src].ResumeAgent(ctx, q, ext)
		}
		if err != nil {
			return err
		}
		if pause && reason != "" {
			if err := s.notePause(ctx, src, ext, q, reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// notePause logs that Ringside paused src's extension ext in queue q for reason.
func (s *Server) notePause(ctx context.Context, src, ext, q, reason string) error {
	now := s.now()
	e := call.Event{Source: src, Vendor: "ringside", Name: "PauseRequested", Type: call.AgentPauseNote,
		Agent: src + ":" + ext, Queue: src + ":" + q, PauseReason: reason, At: now, ReceivedAt: now}
	d := store.Delivery{Source: src, Method: "API", Path: "/pause", ReceivedAt: now}
	if _, err := s.store.Append(ctx, d, []call.Event{e}); err != nil {
		return say("err_reason_not_kept").wrapping(err)
	}
	return nil
}

// ---- page actions ------------------------------------------------------------

// actionStatus is the HTTP status of a refused or failed action.
func actionStatus(err error) int {
	var invalid invalidAction
	switch {
	case errors.Is(err, errActionForbidden):
		return fiber.StatusForbidden
	case errors.As(err, &invalid):
		return fiber.StatusBadRequest
	}
	return fiber.StatusBadGateway
}

func (s *Server) pageOriginate(c *fiber.Ctx) error {
	agent, err := actor(sessionOf(c).User, c.FormValue("agent"))
	if err != nil {
		return toastSaid(c, fiber.StatusForbidden, err)
	}
	number := strings.TrimSpace(c.FormValue("number"))
	id, err := s.originate(c.UserContext(), agent, number)
	if err != nil {
		return toast(c, actionStatus(err), localeOf(c).T("toast_call_failed", "Why", sayIn(localeOf(c), s.forPeople(err, "originate"))))
	}
	return toast(c, fiber.StatusOK, localeOf(c).T("toast_calling", "Number", number, "ID", id))
}

func (s *Server) pagePause(pause bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		agent, err := actor(sessionOf(c).User, pathParam(c, "id"))
		if err == nil {
			err = s.pauseAgent(c.UserContext(), agent, c.FormValue("queue"), c.FormValue("reason"), pause)
		}
		if err != nil && c.Get("HX-Request") == "" { // a page without script: a page, not a bare message
			s.log.Warn("pause from a page failed", "agent", agent, "err", err)
			return s.errorPage(c, sessionOf(c), actionStatus(err), "error_action_failed")
		}
		if err != nil {
			return toastSaid(c, actionStatus(err), s.forPeople(err, "pause"))
		}
		if c.Get("HX-Request") != "" {
			return toast(c, fiber.StatusOK, localeOf(c).T("toast_sent"))
		}
		return c.Redirect(c.Get(fiber.HeaderReferer, "/"), fiber.StatusSeeOther)
	}
}

// ---- API actions -------------------------------------------------------------

func (s *Server) apiOriginate(c *fiber.Ctx) error {
	var req struct{ Agent, Number string }
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, msgUnparsable)
	}
	agent, err := actor(apiCaller(c), req.Agent)
	if err != nil {
		return apiDeniedBecause(c, err)
	}
	id, err := s.originate(c.UserContext(), agent, req.Number)
	if err != nil {
		return s.apiActionError(c, err)
	}
	return c.JSON(envelope{Success: 1, Data: fiber.Map{"originated_call_id": id}})
}

func (s *Server) apiPause(pause bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		agent, err := actor(apiCaller(c), pathParam(c, "id"))
		if err != nil {
			return apiDeniedBecause(c, err)
		}
		var req struct{ Queue, Reason string }
		if len(c.Body()) > 0 {
			if err := json.Unmarshal(c.Body(), &req); err != nil {
				return apiError(c, fiber.StatusBadRequest, msgUnparsable)
			}
		}
		if err := s.pauseAgent(c.UserContext(), agent, req.Queue, req.Reason, pause); err != nil {
			return s.apiActionError(c, err)
		}
		return c.JSON(envelope{Success: 1})
	}
}

// apiActionError answers a refused request 400, and a PBX that did not do it
// 200 with success 0 (the call was right; the operation failed).
func (s *Server) apiActionError(c *fiber.Ctx, err error) error {
	if actionStatus(err) == fiber.StatusBadRequest {
		return apiError(c, fiber.StatusBadRequest, err.Error())
	}
	return c.JSON(envelope{Success: 0, Message: s.forPeople(err, "PBX action").Error()})
}

// apiCaller is the API client the request authenticated as.
func apiCaller(c *fiber.Ctx) *config.User {
	u, _ := c.Locals("user").(*config.User)
	if u == nil {
		return &config.User{}
	}
	return u
}
