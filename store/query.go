package store

import (
	"bytes"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// Query selects CDRs. Empty fields do not filter. Number of three or more digits
// matches From, To or DID containing them (see numbers.go: "0912" finds
// "+98 912 123 4567"); any other Number matches exactly, or as a suffix when it has at
// least minSuffix characters. WholeNumber asks for the whole number instead, in any of
// its written forms ("09121234567" finds "+989121234567", not "091212345678"). Agent
// matches the answering agent or any agent a leg rang. From/To bound the CDR time
// (EndedAt, else StartedAt) as [From, To).
type Query struct {
	Number, Agent, Queue, Source, Direction, Disposition string
	WholeNumber                                          bool
	From, To                                             time.Time
	Start, Count                                         int  // page; Count 0 means 50 (all for EachCDR)
	Asc                                                  bool // oldest first; newest first by default

	num *numberQuery // Number as a digit-run search, if it is one (set by newPlan)
}

const minSuffix = 7

// DefaultCount is SearchCDRs' page size when Query.Count is 0.
const DefaultCount = 50

func (q *Query) value(f int) string {
	switch f {
	case fNumber:
		return q.Number
	case fAgent:
		return q.Agent
	case fQueue:
		return q.Queue
	case fSource:
		return q.Source
	case fDirection:
		return q.Direction
	}
	return q.Disposition
}

func (q *Query) filters() []int {
	var fs []int
	for f := range nFields {
		if q.value(f) != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

func (q *Query) suffixNumber() bool {
	return q.num == nil && !q.WholeNumber && len(q.Number) >= minSuffix
}

// matchRow says whether a CDR's filter row satisfies every filter of q.
func (q *Query) matchRow(row []byte) bool {
	r := rowReader{b: row}
	for _, f := range rowSingles {
		if v := r.str(); q.value(f) != "" && string(v) != q.value(f) {
			return false
		}
	}
	for _, f := range []int{fAgent, fNumber} {
		want, found := q.value(f), false
		for n := r.uvarint(); n > 0 && r.ok(); n-- {
			v := r.str()
			found = found || want == "" || string(v) == want ||
				(f == fNumber && q.suffixNumber() && bytes.HasSuffix(v, []byte(want))) ||
				(f == fNumber && q.num != nil && q.num.matchValue(v))
		}
		if !found && want != "" {
			return false
		}
	}
	return r.ok()
}

// plan is how a query walks the indexes: a driver range yields candidate time keys
// (time (8) + id) in the requested order; rows are checked unless the driver alone
// decides every filter.
type plan struct {
	q      Query
	lo, hi []byte   // time bounds of the suffix, hi exclusive; nil when open
	driver int      // a field index, or -1 for the time index
	check  bool     // candidates need matchRow
	nums   [][]byte // the stored numbers a digit-run Number matches
}

func newPlan(tx *bolt.Tx, q Query) plan {
	for _, p := range []*string{&q.Number, &q.Agent, &q.Queue, &q.Source, &q.Direction, &q.Disposition} {
		*p = strings.TrimSpace(*p)
	}
	p := plan{q: q, driver: -1}
	numScan := false // a digit run too common to gather: rows are checked instead
	if p.q.num, _ = digitQuery(q.Number, q.WholeNumber); p.q.num != nil {
		var ok bool
		p.nums, ok = p.q.num.numbers(tx)
		numScan = !ok
	}
	if !q.From.IsZero() {
		p.lo = u64(timeKey(q.From))
	}
	if !q.To.IsZero() {
		p.hi = u64(timeKey(q.To))
	}
	fs := q.filters()
	switch {
	case len(fs) == 0:
	case len(fs) == 1 && numScan:
		p.check = true
	case len(fs) == 1:
		p.driver = fs[0] // its keys are exactly the matches
	default:
		// Drive by the most selective index; rows of its candidates are fetched one by
		// one, so when even that is large, a sequential scan of the time index is cheaper.
		best, bestN := -1, cdrCount(tx)/5
		for _, f := range fs {
			if f == fNumber && numScan {
				continue
			}
			if n := p.count(tx, f, bestN); n < bestN {
				best, bestN = f, n
			}
		}
		p.driver, p.check = best, true
	}
	return p
}

// count is the number of candidates field f yields, counting no further than limit.
func (p *plan) count(tx *bolt.Tx, f, limit int) int {
	n := 0
	p.walk(tx, f, func([]byte, []byte) bool { n++; return n < limit })
	return n
}

// each calls fn with every matching time key, in order, until fn returns false.
// The slices are valid only inside the transaction.
func (p *plan) each(tx *bolt.Tx, fn func(tk []byte) bool) {
	times := tx.Bucket(bCDRTime)
	p.walk(tx, p.driver, func(tk, row []byte) bool {
		if p.check {
			if row == nil {
				row = times.Get(tk)
			}
			if row == nil || !p.q.matchRow(row) {
				return true
			}
		}
		return fn(tk)
	})
}

// walk yields field f's candidates (f = -1: the time index, with rows).
func (p *plan) walk(tx *bolt.Tx, f int, fn func(tk, row []byte) bool) {
	if f < 0 {
		p.scan(tx.Bucket(bCDRTime).Cursor(), nil, fn)
		return
	}
	if f == fNumber && p.q.num != nil && len(p.nums) != 1 {
		p.walkNumbers(tx, p.nums, fn)
		return
	}
	c := tx.Bucket(fieldBuckets[f]).Cursor()
	v := indexValue(f, p.value(f))
	if f != fNumber || !p.q.suffixNumber() {
		p.scan(c, append([]byte(v), 0), func(tk, _ []byte) bool { return fn(tk, nil) })
		return
	}
	// Suffix: every number ending in the query is a prefix of its reversed form. The
	// hits come grouped by number, so gather and sort them (numbers are selective).
	var hits [][]byte
	for k, _ := c.Seek([]byte(v)); k != nil && bytes.HasPrefix(k, []byte(v)); k, _ = c.Next() {
		i := bytes.IndexByte(k[len(v):], 0)
		if i < 0 {
			continue
		}
		tk := k[len(v)+i+1:]
		if len(tk) >= 8 && (p.lo == nil || bytes.Compare(tk[:8], p.lo) >= 0) && (p.hi == nil || bytes.Compare(tk[:8], p.hi) < 0) {
			hits = append(hits, tk)
		}
	}
	slices.SortFunc(hits, bytes.Compare)
	hits = slices.CompactFunc(hits, bytes.Equal) // From and To may both match
	if !p.q.Asc {
		slices.Reverse(hits)
	}
	for _, tk := range hits {
		if !fn(tk, nil) {
			return
		}
	}
}

// scan walks the keys prefix + [lo, hi) of a cursor in the query's order, yielding
// the part after the prefix.
func (p *plan) scan(c *bolt.Cursor, prefix []byte, fn func(tk, v []byte) bool) {
	from := append(slices.Clip(prefix), p.lo...)
	var end []byte // first key past the range
	if p.hi != nil {
		end = append(slices.Clip(prefix), p.hi...)
	} else if len(prefix) > 0 {
		end = bytes.Clone(prefix)
		end[len(end)-1]++ // the separator \x00 becomes \x01
	}
	in := func(k []byte) bool {
		return k != nil && bytes.HasPrefix(k, prefix) && (end == nil || bytes.Compare(k, end) < 0) && bytes.Compare(k, from) >= 0
	}
	var k, v []byte
	if p.q.Asc {
		for k, v = c.Seek(from); in(k); k, v = c.Next() {
			if !fn(k[len(prefix):], v) {
				return
			}
		}
		return
	}
	if end == nil {
		k, v = c.Last()
	} else if k, v = c.Seek(end); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; in(k); k, v = c.Prev() {
		if !fn(k[len(prefix):], v) {
			return
		}
	}
}

// SearchCDRs returns one page of the matching CDRs and how many match in all.
func (s *Store) SearchCDRs(q Query) (calls []call.Call, total int, err error) {
	if q.Count <= 0 {
		q.Count = DefaultCount
	}
	q.Start = max(q.Start, 0)
	err = s.db.View(func(tx *bolt.Tx) error {
		p := newPlan(tx, q)
		var page [][]byte
		// Without a time range, the matches of no filter or of one value are counted
		// already: walk only as far as the page.
		counted := !p.check && p.lo == nil && p.hi == nil && (p.driver < 0 || p.driver != fNumber || p.oneNumber())
		p.each(tx, func(tk []byte) bool {
			if total >= q.Start && total < q.Start+q.Count {
				page = append(page, tk)
			}
			total++
			return !counted || total < q.Start+q.Count
		})
		switch {
		case counted && p.driver < 0:
			total = cdrCount(tx)
		case counted:
			total = valueCount(tx, p.driver, p.value(p.driver))
		}
		cdrs := tx.Bucket(bCDRs)
		for _, tk := range page {
			c, err := decodeCDR(cdrs.Get(tk[8:]))
			if err != nil {
				return err
			}
			calls = append(calls, c)
		}
		return nil
	})
	return calls, total, unavailable(err)
}

// EachCDR streams every matching CDR in order to fn (Start/Count page it when Count
// > 0). fn runs outside any transaction, so a slow consumer (a CSV download) never
// holds the database; a CDR changed meanwhile is seen as it is when its chunk loads.
func (s *Store) EachCDR(q Query, fn func(call.Call) error) error {
	q.Start = max(q.Start, 0)
	var ids [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		p := newPlan(tx, q)
		n := 0
		p.each(tx, func(tk []byte) bool {
			if n >= q.Start {
				ids = append(ids, bytes.Clone(tk[8:]))
			}
			n++
			return q.Count <= 0 || n < q.Start+q.Count
		})
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	const chunk = 256
	for len(ids) > 0 {
		part := ids[:min(chunk, len(ids))]
		ids = ids[len(part):]
		calls := make([]call.Call, 0, len(part))
		err := s.db.View(func(tx *bolt.Tx) error {
			cdrs := tx.Bucket(bCDRs)
			for _, id := range part {
				if v := cdrs.Get(id); v != nil { // pruned meanwhile: skip
					c, err := decodeCDR(v)
					if err != nil {
						return err
					}
					calls = append(calls, c)
				}
			}
			return nil
		})
		if err != nil {
			return unavailable(err)
		}
		for _, c := range calls {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	return nil
}
