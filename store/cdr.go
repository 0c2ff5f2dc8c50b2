package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// CDRs. Each ended call is stored once as JSON (cdrs: id → time key (8) + JSON), with
// a filter row in the time index (cdr_by_time: time (8) + id → row) and one key per
// searchable value in that field's index (cdr_by_<field>: value \x00 time (8) + id).
// Every index orders a value's calls by time, so a filtered page is a cursor range.
// The time is EndedAt, else StartedAt.

// CDR index fields.
const (
	fNumber = iota // From, To and DID, stored reversed so a suffix is a prefix
	fAgent         // the answering agent and every agent a leg rang
	fQueue
	fSource
	fDirection
	fDisposition
	nFields
)

var fieldBuckets = [nFields][]byte{
	[]byte("cdr_by_number"), []byte("cdr_by_agent"), []byte("cdr_by_queue"),
	[]byte("cdr_by_source"), []byte("cdr_by_direction"), []byte("cdr_by_disposition"),
}

var keyCDRCount = []byte("cdr_count")

// storedCall keeps what Call's JSON leaves out: the vendor references of recordings.
type storedCall struct {
	Call          call.Call `json:"call"`
	RecordingRefs []string  `json:"recording_refs,omitempty"`
}

// cdrTime is the time a CDR sorts and filters by.
func cdrTime(c *call.Call) time.Time {
	if c.EndedAt != nil {
		return *c.EndedAt
	}
	if c.StartedAt != nil {
		return *c.StartedAt
	}
	return time.Time{}
}

// tkey is a call's key in the time index, and the suffix of its keys in the others.
func tkey(t uint64, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, t)
	return append(k, id...)
}

// maxIndexValue bounds a vendor string used in an index key (bbolt keys are limited).
const maxIndexValue = 256

// indexValue makes a value safe as a key prefix: no separator inside, bounded length.
func indexValue(field int, v string) string {
	v = strings.ReplaceAll(v, "\x00", "\x01")
	if field == fNumber {
		r := []byte(v)
		slices.Reverse(r)
		v = string(r)
	}
	if len(v) > maxIndexValue {
		v = v[:maxIndexValue]
	}
	return v
}

// cdrValues lists a call's searchable values per field (deduplicated, no empties).
func cdrValues(c *call.Call) [nFields][]string {
	var out [nFields][]string
	add := func(f int, vs ...string) {
		for _, v := range vs {
			if v != "" && !slices.Contains(out[f], v) {
				out[f] = append(out[f], v)
			}
		}
	}
	add(fNumber, c.From, c.To, c.DID)
	add(fAgent, c.Agent)
	for _, l := range c.Legs {
		add(fAgent, l.Agent)
	}
	add(fQueue, c.Queue)
	add(fSource, c.Source)
	add(fDirection, string(c.Direction))
	add(fDisposition, string(c.Disposition))
	return out
}

// A row is the filterable part of a CDR: the single fields (queue, source, direction,
// disposition) then the agents and the numbers, each a counted list of strings; every
// string is uvarint length + bytes. Filtering reads rows in place, without JSON.
var rowSingles = [...]int{fQueue, fSource, fDirection, fDisposition}

func encodeRow(vals [nFields][]string) []byte {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, f := range rowSingles {
		if len(vals[f]) > 0 {
			str(vals[f][0])
		} else {
			str("")
		}
	}
	for _, f := range []int{fAgent, fNumber} {
		b = binary.AppendUvarint(b, uint64(len(vals[f])))
		for _, v := range vals[f] {
			str(v)
		}
	}
	return b
}

func decodeRow(row []byte) ([nFields][]string, error) {
	var out [nFields][]string
	r := rowReader{b: row}
	for _, f := range rowSingles {
		if v := r.str(); len(v) > 0 {
			out[f] = []string{string(v)}
		}
	}
	for _, f := range []int{fAgent, fNumber} {
		for n := r.uvarint(); n > 0 && r.ok(); n-- {
			out[f] = append(out[f], string(r.str()))
		}
	}
	if !r.ok() {
		return out, errBadRecord
	}
	return out, nil
}

type rowReader struct {
	b   []byte
	bad bool
}

func (r *rowReader) ok() bool { return !r.bad }

func (r *rowReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rowReader) str() []byte {
	n := r.uvarint()
	if uint64(len(r.b)) < n {
		r.bad, r.b = true, nil
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// PutCDRs stores ended calls, replacing any stored version with the same ID. It runs
// in its own transaction, not through the event-log writer: CDRs are derived from the
// log (a replay rebuilds them), they come in large batches, and the webhook path
// should not wait behind them.
func (s *Store) PutCDRs(ctx context.Context, calls []call.Call) error {
	if ctx != nil && ctx.Err() != nil {
		return unavailable(ctx.Err())
	}
	type prepared struct {
		id, json, row []byte
		t             uint64
		vals          [nFields][]string
		events        []byte
	}
	ps := make([]prepared, 0, len(calls))
	for i := range calls {
		c := calls[i]
		if c.ID == "" || len(c.ID) > maxEntryKey {
			return fmt.Errorf("store: CDR %d has an empty or over-long id", i)
		}
		p := prepared{id: []byte(c.ID), t: timeKey(cdrTime(&c)), vals: cdrValues(&c)}
		var err error
		if len(c.Events) > 0 {
			if p.events, err = json.Marshal(c.Events); err != nil {
				return fmt.Errorf("store: encode CDR %s events: %w", c.ID, err)
			}
		}
		sc := storedCall{Call: c}
		sc.Call.Events = nil
		for _, r := range c.Recordings {
			sc.RecordingRefs = append(sc.RecordingRefs, r.Ref)
		}
		j, err := json.Marshal(sc)
		if err != nil {
			return fmt.Errorf("store: encode CDR %s: %w", c.ID, err)
		}
		p.json = append(u64(p.t), j...)
		p.row = encodeRow(p.vals)
		ps = append(ps, p)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		// not the numbers' index (reversed numbers are scattered) nor the value counts
		fillPages(tx, mostlyAppended, append([][]byte{bCDRs, bCDREvents, bCDRTime}, fieldBuckets[fAgent:]...)...)
		cdrs := tx.Bucket(bCDRs)
		added := 0
		for _, p := range ps {
			if old := cdrs.Get(p.id); old != nil {
				if err := deleteCDRIndex(tx, p.id, old); err != nil {
					return err
				}
			} else {
				added++
			}
			if err := cdrs.Put(p.id, p.json); err != nil {
				return err
			}
			ev := tx.Bucket(bCDREvents)
			if err := ev.Delete(p.id); err != nil {
				return err
			}
			if p.events != nil {
				if err := ev.Put(p.id, p.events); err != nil {
					return err
				}
			}
			tk := tkey(p.t, string(p.id))
			if err := tx.Bucket(bCDRTime).Put(tk, p.row); err != nil {
				return err
			}
			for f, vs := range p.vals {
				for _, v := range vs {
					if err := putIndex(tx, f, indexKey(f, v, tk)); err != nil {
						return err
					}
				}
			}
		}
		return addCDRCount(tx, added)
	})
	return unavailable(err)
}

func indexKey(field int, v string, tk []byte) []byte {
	v = indexValue(field, v)
	k := make([]byte, 0, len(v)+1+len(tk))
	return append(append(append(k, v...), 0), tk...)
}

// deleteCDRIndex removes a stored CDR's time and index keys (stored is its cdrs value).
func deleteCDRIndex(tx *bolt.Tx, id, stored []byte) error {
	if len(stored) < 8 {
		return errBadRecord
	}
	tk := tkey(binary.BigEndian.Uint64(stored), string(id))
	times := tx.Bucket(bCDRTime)
	vals, err := decodeRow(times.Get(tk))
	if err != nil {
		return err
	}
	for f, vs := range vals {
		for _, v := range vs {
			if err := deleteIndex(tx, f, indexKey(f, v, tk)); err != nil {
				return err
			}
		}
	}
	return times.Delete(tk)
}

// putIndex adds a key to field f's index, counting its value when the key is new.
func putIndex(tx *bolt.Tx, f int, key []byte) error {
	b := tx.Bucket(fieldBuckets[f])
	if has(b, key) {
		return nil
	}
	if err := b.Put(key, nil); err != nil {
		return err
	}
	if err := addValueCount(tx, f, key, 1); err != nil {
		return err
	}
	return indexNumber(tx, f, key, 1)
}

func deleteIndex(tx *bolt.Tx, f int, key []byte) error {
	b := tx.Bucket(fieldBuckets[f])
	if !has(b, key) {
		return nil
	}
	if err := b.Delete(key); err != nil {
		return err
	}
	if err := addValueCount(tx, f, key, -1); err != nil {
		return err
	}
	return indexNumber(tx, f, key, -1)
}

// has tells whether b holds key. Not b.Get(key) != nil: an index key has no value,
// and bbolt hands back the nil it was given for a key put earlier in the same
// transaction (read from a page, it is an empty slice). With Get, a CDR stored twice
// in one PutCDRs lost its first version's keys (kept as stale keys, counted twice).
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}

// Value counts: how many CDRs each indexed value has (field (1) + value → count (8)),
// so a search by one value knows its total without walking every match.
func valueCountKey(f int, indexKey []byte) []byte {
	v := indexKey
	if i := bytes.IndexByte(indexKey, 0); i >= 0 {
		v = indexKey[:i]
	}
	return append([]byte{byte(f)}, v...)
}

func addValueCount(tx *bolt.Tx, f int, key []byte, delta int64) error {
	b, k := tx.Bucket(bCDRValueCounts), valueCountKey(f, key)
	var n int64
	if v := b.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	if n += delta; n <= 0 {
		return b.Delete(k)
	}
	return b.Put(k, u64(uint64(n)))
}

// valueCount is how many CDRs have value v in field f.
func valueCount(tx *bolt.Tx, f int, v string) int {
	if c := tx.Bucket(bCDRValueCounts).Get(valueCountKey(f, []byte(indexValue(f, v)))); len(c) == 8 {
		return int(binary.BigEndian.Uint64(c))
	}
	return 0
}

// countValues rebuilds the value counts from the indexes (a file from before they
// were kept).
func countValues(tx *bolt.Tx) error {
	for f := range nFields {
		counts := map[string]int64{}
		c := tx.Bucket(fieldBuckets[f]).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			counts[string(valueCountKey(f, k))]++
		}
		for k, n := range counts {
			if err := tx.Bucket(bCDRValueCounts).Put([]byte(k), u64(uint64(n))); err != nil {
				return err
			}
		}
	}
	return nil
}

func addCDRCount(tx *bolt.Tx, delta int) error {
	if delta == 0 {
		return nil
	}
	meta := tx.Bucket(bMeta)
	n := int64(cdrCount(tx)) + int64(delta)
	return meta.Put(keyCDRCount, u64(uint64(max(n, 0))))
}

func cdrCount(tx *bolt.Tx) int {
	if v := tx.Bucket(bMeta).Get(keyCDRCount); len(v) == 8 {
		return int(binary.BigEndian.Uint64(v))
	}
	return 0
}

// CDR returns one stored call, with its timeline when one was stored.
func (s *Store) CDR(id string) (call.Call, bool, error) {
	var c call.Call
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCDRs).Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		var err error
		if c, err = decodeCDR(v); err != nil {
			return err
		}
		if ev := tx.Bucket(bCDREvents).Get([]byte(id)); ev != nil {
			return json.Unmarshal(ev, &c.Events)
		}
		return nil
	})
	return c, found, unavailable(err)
}

func decodeCDR(v []byte) (call.Call, error) {
	if len(v) < 8 {
		return call.Call{}, errBadRecord
	}
	var sc storedCall
	if err := json.Unmarshal(v[8:], &sc); err != nil {
		return call.Call{}, err
	}
	for i := range sc.Call.Recordings {
		if i < len(sc.RecordingRefs) {
			sc.Call.Recordings[i].Ref = sc.RecordingRefs[i]
		}
	}
	return sc.Call, nil
}

// PruneCDRs deletes the CDRs whose time is before `before` (retention) and says how
// many. It works in chunks so no single transaction grows large.
func (s *Store) PruneCDRs(before time.Time) (int, error) {
	const chunk = 2000
	limit := timeKey(before)
	total := 0
	for {
		n := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			var ids [][]byte
			c := tx.Bucket(bCDRTime).Cursor()
			for k, _ := c.First(); k != nil && len(ids) < chunk && binary.BigEndian.Uint64(k) < limit; k, _ = c.Next() {
				ids = append(ids, append([]byte(nil), k[8:]...))
			}
			cdrs := tx.Bucket(bCDRs)
			for _, id := range ids {
				if err := deleteCDRIndex(tx, id, cdrs.Get(id)); err != nil {
					return err
				}
				if err := cdrs.Delete(id); err != nil {
					return err
				}
				if err := tx.Bucket(bCDREvents).Delete(id); err != nil {
					return err
				}
			}
			n = len(ids)
			return addCDRCount(tx, -n)
		})
		total += n
		if err != nil {
			return total, unavailable(err)
		}
		if n < chunk {
			return total, nil
		}
	}
}
