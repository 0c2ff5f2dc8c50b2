package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"ringside/server/call"
)

// The stored form of an event. A value in the events bucket is the delivery id (8)
// followed by the event, either as JSON (files written before the binary form; the
// JSON starts with '{') or as evBinary and the binary form below. Readers take both,
// so an upgraded file needs no rewrite; new events are written in binary.
//
// The binary form is a uvarint bitmap of the fields present (bit i: evFields[i]),
// then each present field in that order:
//
//	string        uvarint length + bytes
//	id            uvarint (length<<1 | 1 when the source's "source:" prefix was cut) + bytes
//	time          varint Unix seconds, uvarint ns, varint zone offset in seconds (0: UTC)
//	time near     the same with the seconds counted from ReceivedAt's
//	float         uvarint of the byte-reversed IEEE bits (whole numbers are short)
//	list          uvarint count + each item
//	type          one byte: an index into evTypes + 1, or 0 and the name as a string
//
// It is about a third of the JSON's size and several times faster to decode. A field
// added to call.Event must be added here too: TestEventCodecCoversEveryField fails
// until it is.
const evBinary = 2

// evTypes numbers the known event types for the one-byte form. Append only: a stored
// event names its type by its index here.
var evTypes = []call.Type{call.CallOffered, call.LegRinging, call.LegEnded, call.CallAnswered, call.CallEnded,
	call.CallRecord, call.CallTransferred, call.TransferCancelled, call.CallExpired, call.CallRated,
	call.AgentLogin, call.AgentLogout, call.AgentPaused, call.AgentUnpaused, call.AgentState,
	call.AgentPauseNote, call.AgentNamed, call.AgentMember, call.Other, call.Unknown,
	call.CallbackDone, call.CallbackTaken, call.VoicemailSaved}

// Field bits, in encoding order. Append only.
const (
	efSource = iota
	efVendor
	efName
	efType
	efCall
	efAgent
	efReceivedAt
	efAt
	efAgentAliases
	efAgentName
	efDirection
	efFrom
	efTo
	efDID
	efQueue
	efAgentState
	efPauseReason
	efOutcome
	efDisposition
	efHangupReason
	efStartedAt
	efAnsweredAt
	efEndedAt
	efWaitS
	efTalkS
	efDurationS
	efRecordings
	efContact
	efTags
	efLegs
	efTransferFrom
	efTransferTo
	efOriginateID
	efRating
	efRole
	efBy
	efVoicemail
	efCount
)

// evWriter appends the binary form.
type evWriter struct {
	b      []byte
	source string
}

// validUTF8 stores invalid UTF-8 as JSON always did, each bad byte as U+FFFD, so an
// event reads back the same whichever form it was stored in (the raw body keeps the bytes).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

func (w *evWriter) str(s string) {
	s = validUTF8(s)
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

// id writes a "source:..." identifier without its source prefix.
func (w *evWriter) id(s string) {
	s = validUTF8(s)
	if p := w.source + ":"; w.source != "" && strings.HasPrefix(s, p) {
		s = s[len(p):]
		w.b = binary.AppendUvarint(w.b, uint64(len(s))<<1|1)
	} else {
		w.b = binary.AppendUvarint(w.b, uint64(len(s))<<1)
	}
	w.b = append(w.b, s...)
}

func (w *evWriter) time(t time.Time, base int64) {
	_, off := t.Zone()
	w.b = binary.AppendVarint(w.b, t.Unix()-base)
	w.b = binary.AppendUvarint(w.b, uint64(t.Nanosecond()))
	w.b = binary.AppendVarint(w.b, int64(off))
}

func (w *evWriter) float(f float64) {
	w.b = binary.AppendUvarint(w.b, bits.ReverseBytes64(math.Float64bits(f)))
}

func (w *evWriter) strs(ss []string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

// eventFields lists which fields of e are set, as the bitmap.
func eventFields(e *call.Event) uint64 {
	set := [efCount]bool{
		efSource: e.Source != "", efVendor: e.Vendor != "", efName: e.Name != "", efType: e.Type != "",
		efCall: e.Call != "", efAgent: e.Agent != "", efReceivedAt: !e.ReceivedAt.IsZero(), efAt: !e.At.IsZero(),
		efAgentAliases: len(e.AgentAliases) > 0, efAgentName: e.AgentName != "", efDirection: e.Direction != "",
		efFrom: e.From != "", efTo: e.To != "", efDID: e.DID != "", efQueue: e.Queue != "",
		efAgentState: e.AgentState != "", efPauseReason: e.PauseReason != "", efOutcome: e.Outcome != "",
		efDisposition: e.Disposition != "", efHangupReason: e.HangupReason != "",
		efStartedAt: e.StartedAt != nil, efAnsweredAt: e.AnsweredAt != nil, efEndedAt: e.EndedAt != nil,
		efWaitS: e.WaitS != nil, efTalkS: e.TalkS != nil, efDurationS: e.DurationS != nil,
		efRecordings: len(e.Recordings) > 0, efContact: e.Contact != nil, efTags: len(e.Tags) > 0,
		efLegs: len(e.Legs) > 0, efTransferFrom: e.TransferFrom != "", efTransferTo: e.TransferTo != "",
		efOriginateID: e.OriginateID != "", efRating: e.Rating != "", efRole: e.Role != "", efBy: e.By != "",
		efVoicemail: e.Voicemail != "",
	}
	var m uint64
	for i, ok := range set {
		if ok {
			m |= 1 << i
		}
	}
	return m
}

// appendEvent appends e's binary form (marker included) to b.
func appendEvent(b []byte, e *call.Event) []byte {
	w := evWriter{b: append(b, evBinary), source: e.Source}
	m := eventFields(e)
	w.b = binary.AppendUvarint(w.b, m)
	base := e.ReceivedAt.Unix()
	if e.ReceivedAt.IsZero() {
		base = 0
	}
	for f := range efCount {
		if m&(1<<f) != 0 {
			w.field(f, e, base)
		}
	}
	return w.b
}

// field writes field f of e; base is ReceivedAt in Unix seconds (0: none).
func (w *evWriter) field(f int, e *call.Event, base int64) {
	switch f {
	case efSource:
		w.str(e.Source)
	case efVendor:
		w.str(e.Vendor)
	case efName:
		w.str(e.Name)
	case efType:
		if i := slices.Index(evTypes, e.Type); i >= 0 {
			w.b = append(w.b, byte(i+1))
		} else {
			w.b = append(w.b, 0)
			w.str(string(e.Type))
		}
	case efReceivedAt:
		w.time(e.ReceivedAt, 0)
	case efAt:
		w.time(e.At, base)
	case efStartedAt:
		w.time(*e.StartedAt, base)
	case efAnsweredAt:
		w.time(*e.AnsweredAt, base)
	case efEndedAt:
		w.time(*e.EndedAt, base)
	case efWaitS:
		w.float(*e.WaitS)
	case efTalkS:
		w.float(*e.TalkS)
	case efDurationS:
		w.float(*e.DurationS)
	case efAgentAliases:
		w.strs(e.AgentAliases)
	case efRecordings:
		w.strs(e.Recordings)
	case efContact:
		c := e.Contact
		w.strs([]string{c.Name, c.Company, c.Email, c.CRMID, c.Phone})
	case efTags:
		keys := slices.Sorted(maps.Keys(e.Tags))
		w.b = binary.AppendUvarint(w.b, uint64(len(keys)))
		for _, k := range keys {
			w.str(k)
			w.str(e.Tags[k])
		}
	case efLegs:
		w.b = binary.AppendUvarint(w.b, uint64(len(e.Legs)))
		for i := range e.Legs {
			w.leg(&e.Legs[i], base)
		}
	default:
		w.plain(f, e)
	}
}

// plain writes the string fields; the identifiers without their source prefix.
func (w *evWriter) plain(f int, e *call.Event) {
	switch f {
	case efCall:
		w.id(e.Call)
	case efAgent:
		w.id(e.Agent)
	case efQueue:
		w.id(e.Queue)
	case efTransferFrom:
		w.id(e.TransferFrom)
	case efTransferTo:
		w.id(e.TransferTo)
	default:
		w.str(*eventString(e, f))
	}
}

// eventString is the plain string field f of e.
func eventString(e *call.Event, f int) *string {
	switch f {
	case efAgentName:
		return &e.AgentName
	case efDirection:
		return (*string)(&e.Direction)
	case efFrom:
		return &e.From
	case efTo:
		return &e.To
	case efDID:
		return &e.DID
	case efAgentState:
		return (*string)(&e.AgentState)
	case efPauseReason:
		return &e.PauseReason
	case efOutcome:
		return (*string)(&e.Outcome)
	case efDisposition:
		return (*string)(&e.Disposition)
	case efHangupReason:
		return &e.HangupReason
	case efOriginateID:
		return &e.OriginateID
	case efRating:
		return &e.Rating
	case efRole:
		return &e.Role
	case efBy:
		return &e.By
	case efVoicemail:
		return &e.Voicemail
	}
	return nil
}

// leg writes a leg: a bitmap of its optional parts, then them.
func (w *evWriter) leg(l *call.Leg, base int64) {
	var m uint64
	for i, ok := range []bool{l.Role != "", l.Name != "", l.StartedAt != nil, l.EndedAt != nil, l.Outcome != "", l.TalkS != nil} {
		if ok {
			m |= 1 << i
		}
	}
	w.b = binary.AppendUvarint(w.b, m)
	w.id(l.Agent)
	if m&1 != 0 {
		w.str(l.Role)
	}
	if m&2 != 0 {
		w.str(l.Name)
	}
	if m&4 != 0 {
		w.time(*l.StartedAt, base)
	}
	if m&8 != 0 {
		w.time(*l.EndedAt, base)
	}
	if m&16 != 0 {
		w.str(string(l.Outcome))
	}
	if m&32 != 0 {
		w.float(*l.TalkS)
	}
}

var errBadEvent = errors.New("malformed binary event")

// evReader reads the binary form; the first error sticks.
type evReader struct {
	rowReader
	source string
}

func (r *evReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *evReader) string() string { return string(r.str()) }

func (r *evReader) id() string {
	n := r.uvarint()
	if uint64(len(r.b)) < n>>1 {
		r.bad, r.b = true, nil
		return ""
	}
	s := string(r.b[:n>>1])
	r.b = r.b[n>>1:]
	if n&1 != 0 {
		return r.source + ":" + s
	}
	return s
}

func (r *evReader) time(base int64) time.Time {
	sec, ns, off := r.varint()+base, r.uvarint(), r.varint()
	if ns >= 1e9 {
		r.bad = true
	}
	t := time.Unix(sec, int64(ns))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}

func (r *evReader) timep(base int64) *time.Time { t := r.time(base); return &t }

func (r *evReader) float() *float64 {
	f := math.Float64frombits(bits.ReverseBytes64(r.uvarint()))
	return &f
}

func (r *evReader) strs() []string {
	n := r.uvarint()
	if n > uint64(len(r.b)) { // each string takes at least a byte
		r.bad, r.b = true, nil
		return nil
	}
	out := make([]string, 0, n)
	for ; n > 0 && r.ok(); n-- {
		out = append(out, r.string())
	}
	return out
}

// readEvent decodes the binary form (after its marker) into e.
func readEvent(b []byte, e *call.Event) error {
	r := evReader{rowReader: rowReader{b: b}}
	m := r.uvarint()
	var base int64
	for f := range efCount {
		if m&(1<<f) == 0 {
			continue
		}
		r.field(f, e, &base)
		if f == efSource {
			r.source = e.Source
		}
	}
	if !r.ok() || m>>efCount != 0 {
		return errBadEvent
	}
	return nil
}

func (r *evReader) field(f int, e *call.Event, base *int64) {
	switch f {
	case efSource:
		e.Source = r.string()
	case efVendor:
		e.Vendor = r.string()
	case efName:
		e.Name = r.string()
	case efType:
		if len(r.b) == 0 {
			r.bad = true
		} else if i := int(r.b[0]); i > 0 && i <= len(evTypes) {
			e.Type, r.b = evTypes[i-1], r.b[1:]
		} else if i == 0 {
			r.b = r.b[1:]
			e.Type = call.Type(r.string())
		} else {
			r.bad = true
		}
	case efReceivedAt:
		e.ReceivedAt = r.time(0)
		*base = e.ReceivedAt.Unix()
		if e.ReceivedAt.IsZero() {
			*base = 0
		}
	case efAt:
		e.At = r.time(*base)
	case efStartedAt:
		e.StartedAt = r.timep(*base)
	case efAnsweredAt:
		e.AnsweredAt = r.timep(*base)
	case efEndedAt:
		e.EndedAt = r.timep(*base)
	case efWaitS:
		e.WaitS = r.float()
	case efTalkS:
		e.TalkS = r.float()
	case efDurationS:
		e.DurationS = r.float()
	default:
		r.more(f, e, *base)
	}
}

func (r *evReader) more(f int, e *call.Event, base int64) {
	switch f {
	case efAgentAliases:
		e.AgentAliases = r.strs()
	case efRecordings:
		e.Recordings = r.strs()
	case efContact:
		if c := r.strs(); len(c) == 5 {
			e.Contact = &call.Contact{Name: c[0], Company: c[1], Email: c[2], CRMID: c[3], Phone: c[4]}
		} else {
			r.bad = true
		}
	case efTags:
		n := r.uvarint()
		e.Tags = make(map[string]string, min(n, 64))
		for ; n > 0 && r.ok(); n-- {
			k := r.string()
			e.Tags[k] = r.string()
		}
	case efLegs:
		n := r.uvarint()
		for ; n > 0 && r.ok(); n-- {
			e.Legs = append(e.Legs, r.leg(base))
		}
	case efCall:
		e.Call = r.id()
	case efAgent:
		e.Agent = r.id()
	case efQueue:
		e.Queue = r.id()
	case efTransferFrom:
		e.TransferFrom = r.id()
	case efTransferTo:
		e.TransferTo = r.id()
	default:
		if p := eventString(e, f); p != nil {
			*p = r.string()
		} else {
			r.bad = true
		}
	}
}

func (r *evReader) leg(base int64) call.Leg {
	m := r.uvarint()
	l := call.Leg{Agent: r.id()}
	if m&1 != 0 {
		l.Role = r.string()
	}
	if m&2 != 0 {
		l.Name = r.string()
	}
	if m&4 != 0 {
		l.StartedAt = r.timep(base)
	}
	if m&8 != 0 {
		l.EndedAt = r.timep(base)
	}
	if m&16 != 0 {
		l.Outcome = call.Outcome(r.string())
	}
	if m&32 != 0 {
		l.TalkS = r.float()
	}
	if m>>6 != 0 {
		r.bad = true
	}
	return l
}

// checkEvent refuses what the API could not show as JSON (and JSON could not store
// before the binary form): a number that is not finite, a time outside years 0-9999.
func checkEvent(e *call.Event) error {
	floats := []*float64{e.WaitS, e.TalkS, e.DurationS}
	times := []*time.Time{&e.At, &e.ReceivedAt, e.StartedAt, e.AnsweredAt, e.EndedAt}
	for i := range e.Legs {
		floats = append(floats, e.Legs[i].TalkS)
		times = append(times, e.Legs[i].StartedAt, e.Legs[i].EndedAt)
	}
	for _, f := range floats {
		if f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
			return fmt.Errorf("unsupported value: %v", *f)
		}
	}
	for _, t := range times {
		if t != nil && (t.Year() < 0 || t.Year() > 9999) {
			return fmt.Errorf("time %v outside the years 0-9999", *t)
		}
	}
	return nil
}

// eventErr names the seq of an event that does not decode.
func eventErr(seq uint64, err error) error { return fmt.Errorf("store: event %d: %w", seq, err) }
