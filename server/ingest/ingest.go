// Package ingest turns one vendor webhook request into normalized call.Events.
// Decoders are pure: no I/O and no clock; the receive time comes in the Request.
//
// Each vendor is one file (simotel.go, voipex.go, cloudcdr.go, sipsim.go) that registers
// its Vendor (registry.go) and whose file comment states what that vendor sends and the
// quirks its decoder survives; its fixtures, one raw request each with the golden
// events beside it, are in testdata/{vendor}/. What holds for every vendor:
//   - Phone numbers, extensions and ids are text, exactly as sent: a vendor may send them
//     as JSON numbers, or (in sloppy examples) with leading zeros; they never go through
//     a float (fields.go).
//   - Field names, event names and enum values change case between versions
//     ("NOANSWER"/"noanswer", "/hooks/x/newstate"/"/hooks/x/NewState"): they are compared
//     case-insensitively, and an event keeps the name it was sent with.
//   - Unknown fields are ignored (the raw body is kept by the store); an unknown event name
//     is a call.Unknown event, stored and acknowledged so the vendor does not retry it
//     forever. Only a delivery that cannot be read at all is ErrUndecodable.
//   - Vendors retry on a non-2xx answer or a timeout, so a delivery can arrive several
//     times; Result.Key names it by the vendor's own ids where it has them (streams.go
//     handles the state-like deliveries that have none). The events of one call can
//     arrive in any order (a record before the hangup, a hangup before the answer).
//   - A time without a zone is the PBX's local time, read in the source's time zone; an
//     event without any time takes the receive time.
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
