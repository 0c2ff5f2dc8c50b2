package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Report buckets: pre-aggregated figures per queue and per agent for each quarter of an
// hour, so a report over any period reads a few thousand rows instead of its calls.
// Quarter hours, not hours, because people read reports in their own zone and some
// zones are :30 or :45 off UTC (Asia/Tehran, Asia/Kolkata): every zone's hour is four
// whole quarters.
//
// A bucket is the sum of its members: one member per call or presence interval that
// falls in it. Members, not running totals, so that a changed call (a late CDR) or an
// interval split by a late presence event replaces its own contribution exactly, and a
// bucket's maximum (the longest wait) is recomputed when its holder changes. The store
// does not know what the figures mean: the caller computes each member's Counts.
//
//	report_buckets:  kind (1) + id + 0 + start (8)          → Counts (summed members)
//	report_members:  bucket key + member                    → Counts
//	report_member_of: member                                → the bucket keys it is in
//	report_ids:      kind (1) + id                          → nothing (every id with a bucket)
//	presence:        agent + 0 + time (8) + seq (8)          → state + 0 + reason
var (
	bBuckets  = []byte("report_buckets")
	bMembers  = []byte("report_members")
	bMemberOf = []byte("report_member_of")
	bIDs      = []byte("report_ids")
	bPresence = []byte("presence")
	keyStamp  = []byte("report_stamp")
)

var reportBuckets = [][]byte{bBuckets, bMembers, bMemberOf, bIDs, bPresence}

// BucketWidth is the span of one bucket.
const BucketWidth = 15 * time.Minute

// BucketStart is the start of the bucket holding t.
func BucketStart(t time.Time) time.Time { return t.UTC().Truncate(BucketWidth) }

// Counts are one bucket's (or member's) figures: Sum slots add up, Max slots keep the
// largest, Named values add up by name (e.g. pause time by reason).
type Counts struct {
	Sum   []int64
	Max   []int64
	Named map[string]int64
}

// Add folds o into c.
func (c *Counts) Add(o Counts) {
	for len(c.Sum) < len(o.Sum) {
		c.Sum = append(c.Sum, 0)
	}
	for i, v := range o.Sum {
		c.Sum[i] += v
	}
	for len(c.Max) < len(o.Max) {
		c.Max = append(c.Max, 0)
	}
	for i, v := range o.Max {
		c.Max[i] = max(c.Max[i], v)
	}
	for k, v := range o.Named {
		if c.Named == nil {
			c.Named = map[string]int64{}
		}
		c.Named[k] += v
	}
}

func (c Counts) encode() []byte {
	var b []byte
	for _, xs := range [][]int64{c.Sum, c.Max} {
		b = binary.AppendUvarint(b, uint64(len(xs)))
		for _, v := range xs {
			b = binary.AppendVarint(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(c.Named)))
	for _, k := range slices.Sorted(maps.Keys(c.Named)) {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, c.Named[k])
	}
	return b
}

func decodeCounts(b []byte) (Counts, error) {
	var c Counts
	err := c.decode(b)
	return c, err
}

// decode reads b into c, reusing c's slices (its Named map is replaced).
func (c *Counts) decode(b []byte) error {
	r := rowReader{b: b}
	varint := func() int64 {
		v, n := binary.Varint(r.b)
		if n <= 0 {
			r.bad, r.b = true, nil
			return 0
		}
		r.b = r.b[n:]
		return v
	}
	c.Sum, c.Max, c.Named = c.Sum[:0], c.Max[:0], nil
	for _, dst := range []*[]int64{&c.Sum, &c.Max} {
		n := r.uvarint()
		if n > 64 {
			return errBadRecord
		}
		for i := uint64(0); i < n && r.ok(); i++ {
			*dst = append(*dst, varint())
		}
	}
	if n := r.uvarint(); n > 0 && r.ok() {
		c.Named = make(map[string]int64, n)
		for ; n > 0 && r.ok(); n-- {
			k := string(r.str())
			c.Named[k] = varint()
		}
	}
	if !r.ok() {
		return errBadRecord
	}
	return nil
}

// Fact is one member's contribution to the bucket of kind and id holding At.
type Fact struct {
	Kind byte
	ID   string
	At   time.Time
	C    Counts
}

func bucketKey(kind byte, id string, start time.Time) []byte {
	id = strings.ReplaceAll(id, "\x00", "\x01")
	if len(id) > maxIndexValue {
		id = id[:maxIndexValue]
	}
	k := make([]byte, 0, 1+len(id)+9)
	k = append(append(append(k, kind), id...), 0)
	return binary.BigEndian.AppendUint64(k, timeKey(start))
}

// Presence is one agent presence fact: from At the agent is in State (with Reason,
// for a pause) until its next fact. Seq orders facts at the same instant.
type Presence struct {
	Agent  string
	At     time.Time
	Seq    uint64
	State  string
	Reason string
}

func presenceKey(agent string, at time.Time, seq uint64) []byte {
	agent = strings.ReplaceAll(agent, "\x00", "\x01")
	k := append([]byte(agent), 0)
	k = binary.BigEndian.AppendUint64(k, timeKey(at))
	return binary.BigEndian.AppendUint64(k, seq)
}

func decodePresence(k, v []byte) (Presence, error) {
	i := len(k) - 17
	state, reason, ok := bytes.Cut(v, []byte{0})
	if i < 0 || k[i] != 0 || !ok {
		return Presence{}, errBadRecord
	}
	return Presence{Agent: string(k[:i]), At: time.Unix(0, int64(binary.BigEndian.Uint64(k[i+1:])^(1<<63))).UTC(),
		Seq: binary.BigEndian.Uint64(k[i+9:]), State: string(state), Reason: string(reason)}, nil
}

// PresenceMember names the bucket member of the interval that starts at p.
func PresenceMember(p Presence) string {
	return "p\x00" + string(presenceKey(p.Agent, p.At, p.Seq))
}

// BucketTx changes buckets inside one write transaction; touched buckets are summed
// again from their members when the transaction commits.
type BucketTx struct {
	tx      *bolt.Tx
	touched map[string]bool
}

// UpdateBuckets runs fn in one write transaction.
func (s *Store) UpdateBuckets(fn func(*BucketTx) error) error {
	return unavailable(s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range reportBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		fillPages(tx, mostlyAppended, reportBuckets...)
		bt := &BucketTx{tx: tx, touched: map[string]bool{}}
		if err := fn(bt); err != nil {
			return err
		}
		return bt.resum()
	}))
}

// SetMember replaces everything member contributes with facts (none: it is removed).
func (bt *BucketTx) SetMember(member string, facts []Fact) error {
	if member == "" || len(member) > maxEntryKey {
		return fmt.Errorf("store: bucket member %q is empty or over-long", member)
	}
	of, members := bt.tx.Bucket(bMemberOf), bt.tx.Bucket(bMembers)
	m := []byte(member)
	if old := of.Get(m); old != nil {
		r := rowReader{b: old}
		for r.ok() && len(r.b) > 0 {
			bk := r.str()
			bt.touched[string(bk)] = true
			if err := members.Delete(append(append([]byte(nil), bk...), m...)); err != nil {
				return err
			}
		}
	}
	if len(facts) == 0 {
		return of.Delete(m)
	}
	byKey := map[string]*Counts{}
	for _, f := range facts {
		k := string(bucketKey(f.Kind, f.ID, BucketStart(f.At)))
		if byKey[k] == nil {
			byKey[k] = &Counts{}
		}
		byKey[k].Add(f.C)
		if err := bt.tx.Bucket(bIDs).Put(append([]byte{f.Kind}, k[1:strings.IndexByte(k, 0)]...), nil); err != nil {
			return err
		}
	}
	var list []byte
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		bt.touched[k] = true
		list = binary.AppendUvarint(list, uint64(len(k)))
		list = append(list, k...)
		if err := members.Put(append([]byte(k), m...), byKey[k].encode()); err != nil {
			return err
		}
	}
	return of.Put(m, list)
}

// resum recomputes every touched bucket from its members.
func (bt *BucketTx) resum() error {
	buckets, c := bt.tx.Bucket(bBuckets), bt.tx.Bucket(bMembers).Cursor()
	for k := range bt.touched {
		prefix := []byte(k)
		var sum Counts
		n := 0
		for mk, v := c.Seek(prefix); mk != nil && bytes.HasPrefix(mk, prefix); mk, v = c.Next() {
			mc, err := decodeCounts(v)
			if err != nil {
				return err
			}
			sum.Add(mc)
			n++
		}
		var err error
		if n == 0 {
			err = buckets.Delete(prefix)
		} else {
			err = buckets.Put(prefix, sum.encode())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// PutPresence records p and returns the facts before and after it for p's agent
// (ok false: none). added is false when p was already recorded.
func (bt *BucketTx) PutPresence(p Presence) (prev, next Presence, hasPrev, hasNext, added bool, err error) {
	b := bt.tx.Bucket(bPresence)
	k := presenceKey(p.Agent, p.At, p.Seq)
	if b.Get(k) != nil {
		return prev, next, false, false, false, nil
	}
	if err = b.Put(k, []byte(p.State+"\x00"+p.Reason)); err != nil {
		return
	}
	prefix := k[:len(k)-16]
	c := b.Cursor()
	c.Seek(k)
	if pk, pv := c.Prev(); pk != nil && bytes.HasPrefix(pk, prefix) && len(pk) == len(k) {
		prev, err = decodePresence(pk, pv)
		hasPrev = err == nil
	}
	c.Seek(k)
	if nk, nv := c.Next(); nk != nil && bytes.HasPrefix(nk, prefix) && len(nk) == len(k) {
		next, err = decodePresence(nk, nv)
		hasNext = err == nil
	}
	return prev, next, hasPrev, hasNext, err == nil, err
}

// ResetBuckets deletes every bucket, member and presence fact (before a rebuild).
func (bt *BucketTx) ResetBuckets() error {
	for _, name := range reportBuckets {
		if err := bt.tx.DeleteBucket(name); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		if _, err := bt.tx.CreateBucket(name); err != nil {
			return err
		}
	}
	bt.touched = map[string]bool{}
	return bt.tx.Bucket(bMeta).Delete(keyStamp)
}

// SetStamp records what the buckets were built with (see BucketStamp).
func (bt *BucketTx) SetStamp(stamp string) error {
	return bt.tx.Bucket(bMeta).Put(keyStamp, []byte(stamp))
}

// BucketStamp is what the buckets were last completely built with ("" if they never
// were, or a rebuild did not finish): the caller rebuilds when it differs from its own.
func (s *Store) BucketStamp() string {
	var stamp string
	_ = s.db.View(func(tx *bolt.Tx) error {
		stamp = string(tx.Bucket(bMeta).Get(keyStamp))
		return nil
	})
	return stamp
}

// BucketIDs lists the ids that have buckets of kind.
func (s *Store) BucketIDs(kind byte) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIDs)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.Seek([]byte{kind}); k != nil && k[0] == kind; k, _ = c.Next() {
			out = append(out, string(k[1:]))
		}
		return nil
	})
	return out, unavailable(err)
}

// EachBucket calls fn for every bucket of kind and id that starts in [from, to), in
// time order. The Counts fn gets are reused by the next call: fn adds them up, it
// does not keep them.
func (s *Store) EachBucket(kind byte, id string, from, to time.Time, fn func(start time.Time, c Counts)) error {
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bBuckets)
		if b == nil {
			return nil
		}
		lo, hi := bucketKey(kind, id, BucketStart(from)), bucketKey(kind, id, to)
		c := b.Cursor()
		var cs Counts
		for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0; k, v = c.Next() {
			if len(k) != len(lo) {
				continue // a longer id sharing this one's prefix cannot sort here, but be safe
			}
			if err := cs.decode(v); err != nil {
				return err
			}
			fn(time.Unix(0, int64(binary.BigEndian.Uint64(k[len(k)-8:])^(1<<63))).UTC(), cs)
		}
		return nil
	})
	return unavailable(err)
}

// LastPresence is the latest presence fact of agent (ok false: none).
func (s *Store) LastPresence(agent string) (p Presence, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bPresence)
		if b == nil {
			return nil
		}
		prefix := presenceKey(agent, time.Time{}, 0)
		prefix = prefix[:len(prefix)-16]
		c := b.Cursor()
		end := append(append([]byte(nil), prefix[:len(prefix)-1]...), 1)
		k, v := c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+16 {
			return nil
		}
		var derr error
		p, derr = decodePresence(k, v)
		ok = derr == nil
		return derr
	})
	return p, ok, unavailable(err)
}
