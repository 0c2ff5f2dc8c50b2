package store

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Number search the way people type a number: any run of three or more digits
// ("0912", "123 45", "4567") finds every CDR whose From, To or DID contains those
// digits, at the start, inside or at the end. Spaces, dashes, dots, parentheses and
// Persian or Arabic digits are read as typed; an international prefix ("+" or "00")
// and a national prefix (one leading "0") are not part of the number:
//
//   - "0912" finds "09121234567", "+98 912 123 4567", "00989121234567" and
//     "9121234567" (the digits after a country code or without the national 0);
//   - "+98 912" and "0098912" find the same numbers written nationally ("0912…");
//   - "912" finds all of those, and any other number with "912" anywhere in it.
//
// The country code is not known (a source may serve any country), so a number written
// internationally is taken to have a country code of one, two or three digits: "0912"
// may also find "+1 912…", "+39 912…". Anything else in the query (a letter, "*",
// "@") makes it a plain value again: the whole stored value, or its last seven or more
// characters (see Query).
//
// The index holds every distinct stored number once, not every CDR: for each number
// (a value in cdr_by_number) each suffix of its digits of three or more:
//
//	cdr_number_grams: digit suffix \x00 stored value → nothing
//
// so the numbers containing a digit run are one cursor range (the run is a prefix of
// one of their suffixes), and each number's CDRs are its range in cdr_by_number. Keys
// are added when a number's CDR count goes from 0 to 1 and removed when it returns to
// 0, and built from the value counts when a file from before the index is opened.
var bNumberGrams = []byte("cdr_number_grams")

const (
	minDigitRun  = 3    // digits a query needs to be a digit-run search
	maxNumberLen = 40   // longer digit strings are not telephone numbers: not indexed
	maxCandidate = 4096 // numbers past which a query scans the time index instead
)

// phone is a number's digits without an international prefix, and whether it had one.
type phone struct {
	d    []byte
	intl bool
}

// parsePhone reads s as a telephone number into buf; ok is false when s holds
// anything else than digits and the separators people write.
func parsePhone(buf []byte, s []byte) (p phone, ok bool) {
	d := buf[:0]
	for _, r := range string(s) {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r >= '۰' && r <= '۹': // Persian
			d = append(d, byte('0'+r-'۰'))
		case r >= '٠' && r <= '٩': // Arabic-Indic
			d = append(d, byte('0'+r-'٠'))
		case r == '+' && len(d) == 0 && !p.intl:
			p.intl = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || r == '\u00a0':
		default:
			return phone{}, false
		}
		if len(d) > maxNumberLen {
			return phone{}, false
		}
	}
	if !p.intl && bytes.HasPrefix(d, []byte("00")) {
		d, p.intl = d[2:], true
	}
	p.d = d
	return p, len(d) > 0
}

// national lists the forms p may take without any prefix: after a country code of
// one to three digits when written internationally, without its leading 0 when
// written nationally, itself otherwise. They are returned in an array, not a new slice: a scan matches every record's
// numbers, and allocating there was a good part of its cost.
func (p phone) national() (forms [3][]byte, n int) {
	switch {
	case p.intl:
		for cc := 1; cc <= 3 && cc < len(p.d); cc++ {
			forms[n] = p.d[cc:]
			n++
		}
	case p.d[0] == '0':
		forms[0] = p.d[1:]
		n = 1
	default:
		forms[0] = p.d
		n = 1
	}
	return forms, n
}

// marked says whether p was written with a prefix that anchors it (00, + or 0).
func (p phone) marked() bool { return p.intl || p.d[0] == '0' }

// numberQuery is a parsed digit-run query.
type numberQuery struct {
	p     phone
	whole bool // the whole number, in any of its written forms
}

// digitQuery parses a Query's number as a digit-run search, if it is one.
func digitQuery(number string, whole bool) (*numberQuery, bool) {
	p, ok := parsePhone(make([]byte, 0, 16), []byte(strings.TrimSpace(number)))
	if !ok || len(p.d) < minDigitRun {
		return nil, false
	}
	return &numberQuery{p: p, whole: whole}, true
}

// match says whether the stored number n is what q asks for.
func (q *numberQuery) match(n phone) bool {
	if !q.whole && bytes.Contains(n.d, q.p.d) || q.whole && q.p.intl == n.intl && bytes.Equal(n.d, q.p.d) {
		return true
	}
	if q.p.intl && n.intl || !q.whole && !q.p.marked() {
		return false // the same writing (matched above), or a bare run (anywhere, above)
	}
	qf, qn := q.p.national()
	nf, nn := n.national()
	for _, a := range qf[:qn] {
		for _, b := range nf[:nn] {
			if len(a) > 0 && (q.whole && bytes.Equal(a, b) || !q.whole && bytes.HasPrefix(b, a)) {
				return true
			}
		}
	}
	return false
}

// matchValue says whether the stored value v (a From, To or DID) matches q.
func (q *numberQuery) matchValue(v []byte) bool {
	var buf [maxNumberLen + 8]byte
	n, ok := parsePhone(buf[:0], v)
	return ok && q.match(n)
}

// matchesNumber is Query.Number's rule for one stored value.
func matchesNumber(query, value string, whole bool) bool {
	query = strings.TrimSpace(query)
	if q, ok := digitQuery(query, whole); ok {
		return q.matchValue([]byte(value))
	}
	return value == query || !whole && len(query) >= minSuffix && strings.HasSuffix(value, query)
}

// numbers lists the stored values matching q, or ok false when there are more than
// maxCandidate of them (a run most numbers contain: the caller scans instead).
//
// The scan reads each record of the period once (about 0.2 µs a record; a date range
// bounds it), which is also what such a run costs through the index: the page's total
// counts every matching CDR once, and a CDR whose caller and DID both match is in two
// numbers' ranges, so neither the ranges nor their value counts add up to it without
// visiting each CDR. Its first page comes early in the walk; the total is what reads
// the rest.
func (q *numberQuery) numbers(tx *bolt.Tx) (vals [][]byte, ok bool) {
	runs := [][]byte{q.p.d}
	if q.p.marked() {
		forms, n := q.p.national()
		runs = append(runs, forms[:n]...)
	}
	seen := map[string]bool{}
	c := tx.Bucket(bNumberGrams).Cursor()
	for _, run := range runs {
		if len(run) == 0 {
			continue
		}
		for k, _ := c.Seek(run); k != nil && bytes.HasPrefix(k, run); k, _ = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 || seen[string(k[i+1:])] {
				continue
			}
			v := k[i+1:]
			seen[string(v)] = true
			if q.matchValue(v) {
				if len(vals) == maxCandidate {
					return nil, false
				}
				vals = append(vals, bytes.Clone(v))
			}
		}
	}
	return vals, true
}

// numberGrams are the gram keys of a stored value (none when it is no number).
func numberGrams(v []byte) [][]byte {
	var buf [maxNumberLen + 8]byte
	p, ok := parsePhone(buf[:0], v)
	if !ok {
		return nil
	}
	var keys [][]byte
	for i := 0; i+minDigitRun <= len(p.d); i++ {
		k := make([]byte, 0, len(p.d)-i+1+len(v))
		keys = append(keys, append(append(append(k, p.d[i:]...), 0), v...))
	}
	return keys
}

// indexNumber keeps the grams of the number in a cdr_by_number index key after its
// value count changed by delta: added at the first CDR, removed after the last.
func indexNumber(tx *bolt.Tx, f int, key []byte, delta int) error {
	if f != fNumber {
		return nil
	}
	i := bytes.IndexByte(key, 0)
	if i < 0 {
		return nil
	}
	n := valueCountOfKey(tx, f, key)
	if delta > 0 && n != 1 || delta < 0 && n != 0 {
		return nil
	}
	v := bytes.Clone(key[:i])
	slices.Reverse(v) // number index values are stored reversed
	b := tx.Bucket(bNumberGrams)
	for _, g := range numberGrams(v) {
		var err error
		if delta > 0 {
			err = b.Put(g, nil)
		} else {
			err = b.Delete(g)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func valueCountOfKey(tx *bolt.Tx, f int, key []byte) int {
	if c := tx.Bucket(bCDRValueCounts).Get(valueCountKey(f, key)); len(c) == 8 {
		return int(binary.BigEndian.Uint64(c))
	}
	return 0
}

// buildNumberGrams creates the gram index from the stored numbers when the file has
// none yet (a file from before it, or a new one).
func buildNumberGrams(tx *bolt.Tx) error {
	if tx.Bucket(bNumberGrams) != nil {
		return nil
	}
	b, err := tx.CreateBucket(bNumberGrams)
	if err != nil {
		return err
	}
	prefix := []byte{byte(fNumber)}
	c := tx.Bucket(bCDRValueCounts).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		v := bytes.Clone(k[1:])
		slices.Reverse(v)
		for _, g := range numberGrams(v) {
			if err := b.Put(g, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// oneNumber says whether the plan's Number stands for one stored value: its CDRs
// are that value's range, counted already.
func (p *plan) oneNumber() bool {
	return p.q.num != nil && len(p.nums) == 1 || p.q.num == nil && !p.q.suffixNumber()
}

// value is what field f's index is read at: the stored number a digit run found
// when it found one, else the query's value.
func (p *plan) value(f int) string {
	if f == fNumber && p.q.num != nil && len(p.nums) == 1 {
		return string(p.nums[0])
	}
	return p.q.value(f)
}

// walkNumbers yields the time keys of the CDRs holding any of vals, in the query's
// order, each once (a CDR's From and To may both match).
func (p *plan) walkNumbers(tx *bolt.Tx, vals [][]byte, fn func(tk, row []byte) bool) {
	c := tx.Bucket(fieldBuckets[fNumber]).Cursor()
	var hits [][]byte
	for _, v := range vals {
		prefix := append([]byte(indexValue(fNumber, string(v))), 0)
		p.scan(c, prefix, func(tk, _ []byte) bool { hits = append(hits, tk); return true })
	}
	slices.SortFunc(hits, bytes.Compare)
	hits = slices.CompactFunc(hits, bytes.Equal)
	if !p.q.Asc {
		slices.Reverse(hits)
	}
	for _, tk := range hits {
		if !fn(tk, nil) {
			return
		}
	}
}
