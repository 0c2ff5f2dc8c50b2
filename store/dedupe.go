package store

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Dedupe. A delivery with a natural Key is a retry if (Source, Key) was recorded in
// the last 7 days. A keyless one is a retry if the same (Source, Method, Path, Query,
// Body) was recorded within DedupeWindow - and, when it names a Stream, only while no
// later delivery has marked that stream (so "Idle, Pause, Idle" is three states). By
// default a delivery marks its own stream; Delivery.Marks lets a delivery be judged on
// one stream and advance others.
//
// Natural keys live in bbolt (dedupe_keys: key → id + ReceivedAt), each also listed in
// dedupe_key_expiry under its expiry time so pruning walks only what has expired.
//
// Content hashes and stream heads only matter for DedupeWindow, so they are held in
// memory and persisted as a time-ordered journal (dedupe_recent: ReceivedAt + kind +
// key → id) that Open loads. Their bbolt writes are appends at the end of one bucket
// instead of one random B-tree page per delivery, which halves the commit time.

type entry struct {
	id uint64
	at int64 // ReceivedAt, Unix ns
}

// Journal kinds, the byte after the time in a dedupe_recent key.
const (
	kindHash byte = iota + 1
	kindStream
)

// dedupe is the writer's in-memory state. Changes made by a batch are staged and
// applied only after its transaction commits, so a failed batch leaves no trace.
type dedupe struct {
	window  time.Duration
	clock   int64 // the latest ReceivedAt seen: drives pruning
	hashes  map[[16]byte]entry
	streams map[string]entry

	stagedHashes  map[[16]byte]entry
	stagedStreams map[string]entry
	stagedClock   int64
	pruned        []journalKey
}

type journalKey struct {
	at   int64
	kind byte
	key  string
}

type dedupeKeys struct {
	key    []byte   // natural key entry, nil if none
	hash   [16]byte // content hash, when there is no natural key
	stream string   // the stream it is judged on, "" if none
	marks  []string // the streams it advances
	seals  []string // streams whose later mark makes it a retry anyway
}

// maxEntryKey bounds a vendor-controlled key; longer ones are hashed (bbolt keys are
// limited, and a failing Put would fail a whole batch).
const maxEntryKey = 512

func entryKey(source, name string) []byte {
	k := append(append([]byte(source), 0), name...)
	if len(k) > maxEntryKey {
		h := sha256.Sum256(k)
		k = append(append([]byte(source), 0, 1), h[:]...)
	}
	return k
}

func newDedupeKeys(d Delivery) dedupeKeys {
	var dk dedupeKeys
	if d.Key != "" {
		dk.key = entryKey(d.Source, d.Key)
	} else {
		h := sha256.New()
		for _, part := range []string{d.Source, d.Method, d.Path, d.Query} {
			var n [binary.MaxVarintLen64]byte
			h.Write(n[:binary.PutUvarint(n[:], uint64(len(part)))])
			h.Write([]byte(part))
		}
		h.Write(d.Body)
		copy(dk.hash[:], h.Sum(nil)) // 128 bits: collisions are out of reach
	}
	if d.Stream != "" {
		dk.stream = string(entryKey(d.Source, d.Stream))
	}
	for _, s := range d.Seals {
		dk.seals = append(dk.seals, string(entryKey(d.Source, s)))
	}
	if d.Marks == nil {
		if dk.stream != "" {
			dk.marks = []string{dk.stream}
		}
	} else {
		for _, m := range d.Marks {
			dk.marks = append(dk.marks, string(entryKey(d.Source, m)))
		}
	}
	return dk
}

// loadDedupe reads the journal of recent hashes and stream heads.
func loadDedupe(tx *bolt.Tx, window time.Duration) (*dedupe, error) {
	dd := &dedupe{window: window, hashes: map[[16]byte]entry{}, streams: map[string]entry{}}
	err := tx.Bucket(bRecent).ForEach(func(k, v []byte) error {
		if len(k) < 9 || len(v) != 8 {
			return errBadRecord
		}
		e := entry{id: binary.BigEndian.Uint64(v), at: unflip(k)}
		dd.clock = max(dd.clock, e.at)
		if k[8] == kindHash && len(k) == 9+16 {
			dd.hashes[[16]byte(k[9:])] = e
		} else if k[8] == kindStream {
			dd.streams[string(k[9:])] = e
		}
		return nil
	})
	dd.begin()
	return dd, err
}

func (dd *dedupe) begin() {
	dd.stagedHashes, dd.stagedStreams, dd.pruned = map[[16]byte]entry{}, map[string]entry{}, nil
	dd.stagedClock = dd.clock
}

// commit applies the staged changes of a committed batch.
func (dd *dedupe) commit() {
	for k, e := range dd.stagedHashes {
		dd.hashes[k] = e
	}
	for k, e := range dd.stagedStreams {
		dd.streams[k] = e
	}
	for _, p := range dd.pruned {
		if p.kind == kindHash {
			if e, ok := dd.hashes[[16]byte([]byte(p.key))]; ok && e.at == p.at {
				delete(dd.hashes, [16]byte([]byte(p.key)))
			}
		} else if e, ok := dd.streams[p.key]; ok && e.at == p.at {
			delete(dd.streams, p.key)
		}
	}
	dd.clock = dd.stagedClock
	dd.begin()
}

func (dd *dedupe) hash(h [16]byte) (entry, bool) {
	if e, ok := dd.stagedHashes[h]; ok {
		return e, true
	}
	e, ok := dd.hashes[h]
	return e, ok
}

func (dd *dedupe) stream(k string) (entry, bool) {
	if e, ok := dd.stagedStreams[k]; ok {
		return e, true
	}
	e, ok := dd.streams[k]
	return e, ok
}

// fresh says whether an entry recorded at `at` still counts for a delivery received
// at now. A delivery stamped earlier than the original (racing requests) counts too.
func fresh(now time.Time, at int64, ttl time.Duration) bool {
	return now.UnixNano()-at < int64(ttl)
}

// duplicateOf returns the id of the delivery r repeats, or 0.
func (s *Store) duplicateOf(tx *bolt.Tx, r *request) uint64 {
	if r.dk.key != nil {
		v := tx.Bucket(bKeys).Get(r.dk.key)
		if len(v) == 16 && fresh(r.d.ReceivedAt, int64(binary.BigEndian.Uint64(v[8:])), keyTTL) {
			return binary.BigEndian.Uint64(v)
		}
		return 0
	}
	e, ok := s.dd.hash(r.dk.hash)
	if !ok || !fresh(r.d.ReceivedAt, e.at, s.dd.window) {
		return 0
	}
	for _, seal := range r.dk.seals {
		if head, ok := s.dd.stream(seal); ok && head.id > e.id {
			return e.id // sealed since the original: nothing can repeat it now
		}
	}
	if r.dk.stream != "" {
		if head, ok := s.dd.stream(r.dk.stream); ok && head.id > e.id {
			return 0 // the state changed since: this is a new occurrence of it
		}
	}
	return e.id
}

// remember records delivery id's dedupe entries.
func (s *Store) remember(tx *bolt.Tx, r *request, id uint64) error {
	dd := s.dd
	e := entry{id: id, at: r.d.ReceivedAt.UnixNano()}
	recent := tx.Bucket(bRecent)
	if r.dk.key != nil {
		v := make([]byte, 16)
		binary.BigEndian.PutUint64(v, id)
		binary.BigEndian.PutUint64(v[8:], uint64(e.at))
		if err := tx.Bucket(bKeys).Put(r.dk.key, v); err != nil {
			return err
		}
		if err := tx.Bucket(bKeyExpiry).Put(append(flip(e.at+int64(keyTTL)), r.dk.key...), nil); err != nil {
			return err
		}
	} else {
		if err := recent.Put(append(append(flip(e.at), kindHash), r.dk.hash[:]...), u64(id)); err != nil {
			return err
		}
		dd.stagedHashes[r.dk.hash] = e
	}
	for _, m := range r.dk.marks {
		if err := recent.Put(append(append(flip(e.at), kindStream), m...), u64(id)); err != nil {
			return err
		}
		dd.stagedStreams[m] = e
	}
	return nil
}

// flip encodes a Unix-ns time so byte order is time order.
func flip(at int64) []byte { return u64(uint64(at) ^ (1 << 63)) }

func unflip(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

// prune deletes up to budget expired natural keys and journal entries (expired by
// the latest ReceivedAt seen). A key rewritten since its expiry entry was made is kept.
func (s *Store) prune(tx *bolt.Tx, budget int) error {
	now := s.dd.stagedClock
	if now == 0 {
		return nil
	}
	exp, keys := tx.Bucket(bKeyExpiry), tx.Bucket(bKeys)
	for _, k := range expired(exp, now, budget) {
		if v := keys.Get(k[8:]); len(v) == 16 && int64(binary.BigEndian.Uint64(v[8:]))+int64(keyTTL) <= now {
			if err := keys.Delete(k[8:]); err != nil {
				return err
			}
		}
		if err := exp.Delete(k); err != nil {
			return err
		}
	}
	recent := tx.Bucket(bRecent)
	for _, k := range expired(recent, now-int64(s.dd.window), budget) {
		if err := recent.Delete(k); err != nil {
			return err
		}
		s.dd.pruned = append(s.dd.pruned, journalKey{at: unflip(k), kind: k[8], key: string(k[9:])})
	}
	return nil
}

// expired lists (copies of) up to n keys of b whose time prefix is at most limit.
func expired(b *bolt.Bucket, limit int64, n int) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(out) < n && len(k) >= 9 && unflip(k) <= limit; k, _ = c.Next() {
		out = append(out, append([]byte(nil), k...))
	}
	return out
}
