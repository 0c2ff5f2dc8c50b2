package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"
)

// Delivery is one webhook request as received, kept beside the events it produced so
// a parser fix can re-decode history.
type Delivery struct {
	Source, Method string
	Path           string // the request path
	Query          string // the raw query string
	ContentType    string
	Header         map[string]string // a few useful headers, never credentials; may be nil
	Body           []byte
	ReceivedAt     time.Time
	// Key is the vendor's natural id of the delivery ("cdr:123"): a second delivery
	// with the same (Source, Key) within 7 days is a retry. "" if the vendor has none.
	Key string
	// Stream names the subject of a state-like delivery ("exten:991"): an identical
	// keyless delivery is a retry only while nothing has marked its stream since.
	Stream string
	// Marks are the streams this delivery advances; nil means its own Stream, so by
	// default "the latest on its stream" decides. A delivery that names a different set
	// (a call-scoped ring judged on "legs:991" that marks "agent:991") lets a retry of it
	// be recognized after the agent's state moved on, while a state change that really
	// repeats the delivery (the leg ended, a second ring round) still counts anew.
	Marks []string `json:"-"`
	// Seals name streams that, once marked after the original, make an identical
	// delivery a retry whatever its Stream says: a ring of a call the agent has since
	// answered, or of a call that has since ended, is that ring again, not a new one.
	Seals []string `json:"-"`
}

// StoredDelivery is a kept delivery: an accepted one with the seqs it produced, or a
// rejected one with the reason.
type StoredDelivery struct {
	ID uint64
	Delivery
	Seqs   []uint64 // accepted only
	Reason string   // rejected only
}

// A delivery record is: version (1) | first seq (8) | event count (4) |
// uvarint length + the fields | the body, raw. The seq header has a fixed place so the
// writer fills it in without re-encoding, and the body is not base64-inflated. The
// fields are JSON in version 1 (files written before version 2) and binary in version
// 2: each string as uvarint length + bytes, in recFields order, then the headers as a
// counted list of name and value, then ReceivedAt as varint Unix seconds, uvarint ns.
const (
	recJSON   = 1
	recBinary = 2
	recHeader = 1 + 8 + 4
)

// recMeta is the JSON part of a version 1 record: the Delivery without its body.
type recMeta struct {
	Source      string            `json:"source"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Query       string            `json:"query,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Header      map[string]string `json:"header,omitempty"`
	ReceivedAt  time.Time         `json:"received_at"`
	Key         string            `json:"key,omitempty"`
	Stream      string            `json:"stream,omitempty"`
	Reason      string            `json:"reason,omitempty"`
}

// recFields are a record's string fields, in their binary order.
func recFields(m *recMeta) []*string {
	return []*string{&m.Source, &m.Method, &m.Path, &m.Query, &m.ContentType, &m.Key, &m.Stream, &m.Reason}
}

func encodeRecord(d Delivery, reason string) ([]byte, error) {
	m := recMeta{Source: d.Source, Method: d.Method, Path: d.Path, Query: d.Query,
		ContentType: d.ContentType, Header: d.Header, ReceivedAt: d.ReceivedAt, Key: d.Key,
		Stream: d.Stream, Reason: reason}
	w := evWriter{}
	for _, f := range recFields(&m) {
		w.str(*f)
	}
	keys := slices.Sorted(maps.Keys(m.Header))
	w.b = binary.AppendUvarint(w.b, uint64(len(keys)))
	for _, k := range keys {
		w.str(k)
		w.str(m.Header[k])
	}
	w.b = binary.AppendVarint(w.b, m.ReceivedAt.Unix())
	w.b = binary.AppendUvarint(w.b, uint64(m.ReceivedAt.Nanosecond()))
	b := make([]byte, recHeader, recHeader+binary.MaxVarintLen64+len(w.b)+len(d.Body))
	b[0] = recBinary
	b = binary.AppendUvarint(b, uint64(len(w.b)))
	b = append(b, w.b...)
	return append(b, d.Body...), nil
}

// decodeMeta reads a record's fields in either version.
func decodeMeta(version byte, b []byte) (recMeta, error) {
	var m recMeta
	if version == recJSON {
		err := json.Unmarshal(b, &m)
		return m, err
	}
	r := evReader{rowReader: rowReader{b: b}}
	for _, f := range recFields(&m) {
		*f = r.string()
	}
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.b)) {
		m.Header = make(map[string]string, n)
		for ; n > 0 && r.ok(); n-- {
			k := r.string()
			m.Header[k] = r.string()
		}
	}
	sec, ns := r.varint(), r.uvarint()
	if !r.ok() || len(r.b) != 0 || ns >= 1e9 {
		return m, errBadRecord
	}
	m.ReceivedAt = time.Unix(sec, int64(ns)).UTC()
	return m, nil
}

// setSeqs fills in the seq header of an encoded record.
func setSeqs(rec []byte, first uint64, n int) {
	binary.BigEndian.PutUint64(rec[1:9], first)
	binary.BigEndian.PutUint32(rec[9:13], uint32(n))
}

// recSeqs reads the seq header.
func recSeqs(rec []byte) []uint64 {
	if len(rec) < recHeader {
		return nil
	}
	first, n := binary.BigEndian.Uint64(rec[1:9]), binary.BigEndian.Uint32(rec[9:13])
	if n == 0 {
		return nil
	}
	seqs := make([]uint64, n)
	for i := range seqs {
		seqs[i] = first + uint64(i)
	}
	return seqs
}

var errBadRecord = errors.New("store: malformed delivery record")

func decodeRecord(id uint64, rec []byte) (StoredDelivery, error) {
	if len(rec) > 0 && rec[0] == recArchived {
		var err error
		if rec, err = unarchiveRecord(rec); err != nil {
			return StoredDelivery{}, err
		}
	}
	if len(rec) < recHeader || (rec[0] != recJSON && rec[0] != recBinary) {
		return StoredDelivery{}, errBadRecord
	}
	n, w := binary.Uvarint(rec[recHeader:])
	start := recHeader + w
	if w <= 0 || uint64(len(rec)-start) < n {
		return StoredDelivery{}, errBadRecord
	}
	m, err := decodeMeta(rec[0], rec[start:start+int(n)])
	if err != nil {
		return StoredDelivery{}, err
	}
	d := Delivery{Source: m.Source, Method: m.Method, Path: m.Path, Query: m.Query,
		ContentType: m.ContentType, Header: m.Header, ReceivedAt: m.ReceivedAt, Key: m.Key,
		Stream: m.Stream, Body: append([]byte(nil), rec[start+int(n):]...)}
	return StoredDelivery{ID: id, Delivery: d, Seqs: recSeqs(rec), Reason: m.Reason}, nil
}
