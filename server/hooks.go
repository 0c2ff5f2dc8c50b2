package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/ingest"
	"ringside/store"
)

// keptOfOversized is how much of an oversized body is kept with its rejection.
const keptOfOversized = 64 << 10

// appendWait bounds how long a delivery waits for its group commit (a stalled disk
// answers 503 after it; the vendor retries, and a delivery that did commit is deduplicated).
const appendWait = 20 * time.Second

// maxClockSkew bounds a signed delivery's timestamp (SipSim).
const maxClockSkew = 5 * time.Minute

// hookDelivery is the webhook intake: authenticate, decode, append durably, then answer.
func (s *Server) hookDelivery(c *fiber.Ctx) error {
	received := s.now()
	src, ok := s.cfg().Source(pathParam(c, "source"))
	if !ok {
		return apiError(c, fiber.StatusNotFound, "unknown source")
	}
	d := store.Delivery{
		Source:      src.Name,
		Method:      c.Method(),
		Path:        c.Path(),
		Query:       string(c.Request().URI().QueryString()),
		ContentType: c.Get(fiber.HeaderContentType),
		Header:      keptHeaders(c),
		ReceivedAt:  received,
	}
	if code, msg := s.admitSource(c, src); code != 0 {
		s.log.Warn("webhook refused", "source", src.Name, "ip", c.IP(), "status", code, "reason", msg)
		return apiError(c, code, msg)
	}
	tooLarge, code, msg := s.hookBody(c, src, &d, received)
	if code != 0 {
		s.log.Warn("webhook refused", "source", src.Name, "ip", c.IP(), "status", code, "reason", msg)
		return apiError(c, code, msg)
	}
	if lim := s.limits()[src.Name]; lim != nil && !lim.AllowN(received, 1) {
		return apiError(c, fiber.StatusTooManyRequests, "rate limit exceeded, retry later")
	}
	if tooLarge {
		return s.reject(c, d, fiber.StatusRequestEntityTooLarge, "body larger than 1 MiB")
	}

	req := ingest.Request{
		Method:      d.Method,
		Event:       pathParam(c, "event"),
		Query:       queryValues(c),
		ContentType: d.ContentType,
		Body:        d.Body,
		ReceivedAt:  received,
		Signed:      src.SigningSecret != "", // hookBody verified it
	}
	res, err := ingest.Decode(ingestSource(src), req)
	if err != nil {
		s.metrics.decodeErrs.WithLabelValues(src.Vendor).Inc()
		return s.reject(c, d, fiber.StatusBadRequest, err.Error())
	}
	d.Key = res.Key
	d.Stream, d.Marks, d.Seals = res.Stream, res.Marks, res.Seals
	t0 := time.Now()
	// Not c.Context(): fasthttp cancels that when the server shuts down, and a delivery
	// the store writes anyway would then be answered 503 (a keyless retry would count twice).
	ctx, cancel := context.WithTimeout(context.Background(), appendWait)
	app, err := s.store.Append(ctx, d, res.Events)
	cancel()
	s.metrics.logAppend.Observe(time.Since(t0).Seconds())
	if err != nil && !errors.Is(err, store.ErrUnavailable) {
		// the delivery itself cannot be stored: the vendor's retry would fail the same way
		s.metrics.decodeErrs.WithLabelValues(src.Vendor).Inc()
		return s.reject(c, d, fiber.StatusBadRequest, "undecodable: "+err.Error())
	}
	if err != nil {
		s.metrics.results.WithLabelValues("unavailable").Inc()
		s.log.Error("store append failed", "source", src.Name, "err", err)
		return apiError(c, fiber.StatusServiceUnavailable, "store unavailable, retry later")
	}
	if app.Duplicate {
		s.metrics.results.WithLabelValues("duplicate").Inc()
		s.metrics.dedupe.WithLabelValues(src.Name).Inc()
	} else {
		s.metrics.results.WithLabelValues("accepted").Inc()
		s.clocks.observe(s.log, src.Name, src.Location, res.Events, received)
		for _, e := range res.Events {
			if e.Type == call.Unknown {
				s.metrics.unknown.WithLabelValues(src.Name).Inc()
				s.log.Info("unrecognized vendor event kept", "source", src.Name, "name", e.Name, "seq", app.Seqs)
			}
		}
	}
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return c.Send(hookAccepted)
}

// hookAccepted is the answer to every logged delivery (and retry), encoded once: the
// envelope as c.JSON writes it, never changed after (responses send these bytes as
// they are).
var hookAccepted, _ = json.Marshal(envelope{Success: 1})

// hookBody reads an admitted delivery's body into d, only now that the address and the
// secret are known, and verifies its signature (which covers the body, so a signed
// source's body is read before it is verified). tooLarge: d holds the head of a body
// over MaxBody, its signature unchecked; code != 0 refuses the delivery.
func (s *Server) hookBody(c *fiber.Ctx, src *config.Source, d *store.Delivery, now time.Time) (tooLarge bool, code int, msg string) {
	body, err := readBody(c, MaxBody)
	if err != nil && !errors.Is(err, errBodyTooLarge) {
		return false, fiber.StatusRequestTimeout, "body not received in time"
	}
	d.Body = body
	if err != nil {
		if src.Username == "" && src.Token == "" && src.SigningSecret != "" {
			// only the signature could vouch for it, and it covers bytes never read
			return true, fiber.StatusRequestEntityTooLarge, "body larger than 1 MiB"
		}
		return true, 0, ""
	}
	if src.SigningSecret != "" {
		code, msg := verifySignature(c, src.SigningSecret, now, body)
		return false, code, msg
	}
	return false, 0, ""
}

// ingestSource is what the decoders know of a configured source.
func ingestSource(src *config.Source) ingest.Source {
	return ingest.Source{Name: src.Name, Vendor: src.Vendor, Location: src.Location, KeyMap: src.KeyMap,
		Recordings: ingest.RecordingPolicy{Hosts: src.RecordingHosts}}
}

// reject keeps a refused delivery for inspection and answers code with why.
func (s *Server) reject(c *fiber.Ctx, d store.Delivery, code int, why string) error {
	s.metrics.results.WithLabelValues("rejected").Inc()
	s.log.Warn("webhook rejected", "source", d.Source, "status", code, "reason", why)
	ctx, cancel := context.WithTimeout(context.Background(), appendWait)
	defer cancel()
	if err := s.store.Reject(ctx, d, why); err != nil {
		s.log.Error("keeping rejected delivery failed", "source", d.Source, "err", err)
	}
	return apiError(c, code, why)
}

// admitSource checks the IP allow-list and the source's Basic or token credentials
// (the signature, which covers the body, is checked once the body is read); it returns
// 0 when the request may pass, else the status and the reason.
func (s *Server) admitSource(c *fiber.Ctx, src *config.Source) (int, string) {
	if len(src.Nets) > 0 {
		ip := net.ParseIP(c.IP())
		allowed := false
		for _, n := range src.Nets {
			if ip != nil && n.Contains(ip) {
				allowed = true
				break
			}
		}
		if !allowed {
			return fiber.StatusForbidden, "IP is not permitted"
		}
	}
	if src.SigningSecret != "" && (c.Get("X-Webhook-Timestamp") == "" || c.Get("X-Webhook-Signature") == "") {
		return fiber.StatusUnauthorized, "missing X-Webhook-Timestamp or X-Webhook-Signature"
	}
	if src.Username == "" && src.Token == "" {
		return 0, "" // the signature or the allow-list is the credential
	}
	if src.Username != "" {
		if user, pass, ok := basicAuth(c); ok && equal(user, src.Username) && equal(pass, src.Password) {
			return 0, ""
		}
	}
	if src.Token != "" {
		tok := c.Query("token")
		if tok == "" {
			tok = c.Get("X-Ringside-Token")
		}
		if tok != "" && equal(tok, src.Token) {
			return 0, ""
		}
	}
	if _, _, ok := basicAuth(c); ok || c.Query("token") != "" || c.Get("X-Ringside-Token") != "" {
		return fiber.StatusUnauthorized, "invalid credentials"
	}
	return fiber.StatusUnauthorized, "missing credentials"
}

// verifySignature checks SipSim's X-Webhook-Signature: hex HMAC-SHA256 of "{timestamp}.{body}".
func verifySignature(c *fiber.Ctx, secret string, now time.Time, body []byte) (int, string) {
	ts, sig := c.Get("X-Webhook-Timestamp"), c.Get("X-Webhook-Signature")
	if ts == "" || sig == "" {
		return fiber.StatusUnauthorized, "missing X-Webhook-Timestamp or X-Webhook-Signature"
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fiber.StatusForbidden, "X-Webhook-Timestamp is not Unix seconds"
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > maxClockSkew || skew < -maxClockSkew {
		return fiber.StatusForbidden, "X-Webhook-Timestamp is more than 5 minutes off"
	}
	got, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(sig), "sha256="))
	if err != nil {
		return fiber.StatusForbidden, "X-Webhook-Signature is not hex"
	}
	if !hmac.Equal(got, Sign(secret, ts, body)) {
		return fiber.StatusForbidden, "bad signature"
	}
	return 0, ""
}

// Sign computes the SipSim signature (the simulator and tests sign with it too).
func Sign(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// equal compares secrets in constant time (hashing first so lengths do not leak).
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

func basicAuth(c *fiber.Ctx) (user, pass string, ok bool) {
	return parseBasic(c.Get(fiber.HeaderAuthorization))
}

// keptHeaders are the request headers worth keeping with a delivery (never credentials).
func keptHeaders(c *fiber.Ctx) map[string]string {
	h := map[string]string{}
	for _, k := range []string{"User-Agent", "X-Webhook-Timestamp", "X-Forwarded-For"} {
		if v := c.Get(k); v != "" {
			h[k] = v
		}
	}
	h["Remote-Addr"] = c.IP()
	return h
}
