// Package ingest turns one vendor webhook request into normalized call.Events.
// Decoders are pure: no I/O and no clock; the receive time comes in the Request.
package ingest

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"ringside/server/call"
)

// Request is one webhook delivery as received.
type Request struct {
	Method      string
	Event       string     // the {event} path segment of /hooks/{source}/{event}, if any
	Query       url.Values // parsed query string
	ContentType string
	Body        []byte
	ReceivedAt  time.Time
	// Signed says the HTTP layer verified a signature over Body alone (SipSim): the
	// decoder then reads the body only, never fields from the query or the path,
	// which the signature does not cover.
	Signed bool
}

// Source is what a decoder needs to know about the PBX that sent the request.
type Source struct {
	Name     string
	Vendor   string
	Location *time.Location    // for vendor times without a zone; nil means UTC
	KeyMap   map[string]string // vendor key renames: installation's key → default key (VOIPEX)
	// Recordings is what the source's recording URLs may point at.
	Recordings RecordingPolicy
}

// Result is what one delivery decodes into.
type Result struct {
	Events []call.Event
	// Key identifies the delivery by the vendor's natural ids (e.g. a CDR id), so a
	// retry is recognized whatever bytes it carries. Empty when the vendor has none:
	// the store then falls back to a content hash within a time window.
	Key string
	// Stream names the subject of a state-like delivery ("agent:pbx1:991"), so a state
	// that legitimately repeats after another one is not taken for a retry. Decode sets
	// it for agent-state deliveries when the decoder did not (see streams.go).
	Stream string
	// Marks are the streams the delivery advances (nil: its own Stream); Seals streams
	// whose later mark makes an identical delivery a retry anyway.
	Marks []string
	Seals []string
}

// ErrUndecodable wraps every decoding failure; its message says why.
var ErrUndecodable = errors.New("undecodable")

// Decoder decodes one request from one source.
type Decoder func(src Source, req Request) (Result, error)

// Decode decodes req with the decoder of src.Vendor. Decoders never panic on bad input;
// Decode still recovers so a decoder bug becomes a 400 and a kept body, not a crash.
func Decode(src Source, req Request) (res Result, err error) {
	v, ok := Lookup(src.Vendor)
	if !ok {
		return Result{}, fmt.Errorf("%w: unknown vendor %q", ErrUndecodable, src.Vendor)
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, fmt.Errorf("%w: decoder failed: %v", ErrUndecodable, r)
		}
	}()
	res, err = v.Decode(src, req)
	if err != nil && !errors.Is(err, ErrUndecodable) {
		err = fmt.Errorf("%w: %v", ErrUndecodable, err)
	}
	for i := range res.Events {
		e := &res.Events[i]
		e.Source, e.Vendor = src.Name, src.Vendor
		if e.ReceivedAt.IsZero() {
			e.ReceivedAt = req.ReceivedAt
		}
		if e.At.IsZero() {
			e.At = req.ReceivedAt
		}
	}
	if err == nil && res.Stream == "" && len(res.Events) > 0 {
		setStreams(&res)
	}
	if err == nil {
		err = checkRecordings(src, &res)
	}
	if err == nil {
		err = checkStorable(res)
	}
	if err != nil {
		res = Result{}
	}
	return res, err
}
