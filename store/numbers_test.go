package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

func TestNumberMatching(t *testing.T) {
	for _, c := range []struct {
		query, value string
		whole, want  bool
	}{
		{"0912", "09121234567", false, true},                      // prefix
		{"0912", "+989121234567", false, true},                    // national 0 against a country code
		{"0912", "00989121234567", false, true},                   // 00 as the international prefix
		{"0912", "9121234567", false, true},                       // stored without its national 0
		{"0912", "0219123456", false, false},                      // "912" inside, but not after a 0 or a prefix
		{"0912", "+98 21 9123 4567", false, false},                // "912" after the area code, not the country code
		{"912", "0219123456", false, true},                        // a bare run matches anywhere
		{"1234", "+98 912 123 4567", false, true},                 // infix across the spaces people write
		{"4567", "09121234567", false, true},                      // suffix
		{"123 45", "09121234567", false, true},                    // the query's spaces ignored too
		{"+98 912", "09121234567", false, true},                   // international query, national number
		{"0098912", "9121234567", false, true},                    // ... and one without the 0
		{"+98 912", "+1 912 555", false, false},                   // both international: the digits decide
		{"0912", "+1 912 555 0101", false, true},                  // the country code's length is unknown
		{"۰۹۱۲", "09121234567", false, true},                      // Persian digits
		{"091", "+420222333444", false, false},                    // nothing like it
		{"09121234567", "+989121234567", true, true},              // whole: the same number written two ways
		{"+989121234567", "09121234567", true, true},              // and back
		{"09121234567", "091212345678", true, false},              // whole: a longer number is another one
		{"101", "02101012", true, false},                          // whole: an extension is not in a city number
		{"101", "101", true, true},                                //
		{"sip:101@pbx", "sip:101@pbx", false, true},               // not a number: the whole value
		{"abc1234567", "xyzabc1234567", false, true},              // not a number: 7+ characters as a suffix
		{"12", "0912", false, false},                              // under three digits: the whole value only
		{"09*12", "09*12", false, true},                           // feature codes stay whole values
		{"09*12", "0912", false, false},                           //
		{"0912", "anonymous", false, false},                       //
		{"0912", "0912" + string(make([]byte, 50)), false, false}, // not a number
	} {
		if got := matchesNumber(c.query, c.value, c.whole); got != c.want {
			t.Errorf("matchesNumber(%q, %q, whole %v) = %v, want %v", c.query, c.value, c.whole, got, c.want)
		}
	}
}

// numberCDRs are calls from the written forms people meet, each form several times.
func numberCDRs(n int) []call.Call {
	forms := []string{"09121234567", "+98 912 123 4567", "00989121234567", "9121234567",
		"0219123456", "+420 222 333 444", "sip:101@pbx", "anonymous", "101", "+1 (415) 555-0101"}
	calls := make([]call.Call, n)
	for i := range calls {
		at := t0.Add(time.Duration(i) * time.Minute)
		calls[i] = call.Call{ID: fmt.Sprintf("pbx1:n%d", i), Source: "pbx1", Direction: call.Inbound,
			From: forms[i%len(forms)], To: fmt.Sprintf("0%d", 2100000000+i%37), State: call.StateEnded,
			Disposition: call.Answered, StartedAt: call.T(at), EndedAt: call.T(at.Add(time.Minute))}
		calls[i].DID = calls[i].To
	}
	return calls
}

func TestNumberSearchByDigitRuns(t *testing.T) {
	s, _ := tempStore(t)
	calls := numberCDRs(400)
	putCDRs(t, s, calls)
	for _, q := range []Query{
		{Number: "0912", Count: 1000}, {Number: "912", Count: 1000}, {Number: "1234", Count: 1000},
		{Number: "+98 912", Count: 1000}, {Number: "0101", Count: 1000}, {Number: "210000001", Count: 1000},
		{Number: "0912", Asc: true, Start: 5, Count: 7}, {Number: "555", Source: "pbx1", Count: 1000},
		{Number: "09121234567", WholeNumber: true, Count: 1000}, {Number: "101", WholeNumber: true, Count: 1000},
		{Number: "sip:101@pbx", Count: 1000}, {Number: "0912", From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour), Count: 1000},
	} {
		got, total, err := s.SearchCDRs(q)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs, wantTotal := model(calls, q)
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if total != wantTotal || !slices.Equal(ids, wantIDs) {
			t.Errorf("%+v: total %d, want %d\n got %.120v\nwant %.120v", q, total, wantTotal, ids, wantIDs)
		}
	}
	// What people type finds every written form of the number, and only those.
	got, total, _ := s.SearchCDRs(Query{Number: "0912", Count: 1000})
	forms := map[string]bool{}
	for _, c := range got {
		forms[c.From] = true
	}
	if total != 160 || len(forms) != 4 || forms["0219123456"] {
		t.Errorf(`"0912" found %d CDRs from %v, want 160 from the four forms of 0912 123 4567`, total, forms)
	}
	// A selective run is answered from the index, not by reading every row.
	s.db.View(func(tx *bolt.Tx) error {
		if p := newPlan(tx, Query{Number: "0912"}); p.driver != fNumber || p.check || len(p.nums) != 4 {
			t.Errorf(`"0912" plans driver %d, check %v, %d numbers; want the number index, 4 numbers`, p.driver, p.check, len(p.nums))
		}
		return nil
	})
}

func gramKeys(t *testing.T, s *Store) []string {
	t.Helper()
	var keys []string
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bNumberGrams).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	return keys
}

func TestNumberGramsFollowTheCDRs(t *testing.T) {
	s, path := tempStore(t)
	calls := numberCDRs(50)
	putCDRs(t, s, calls)
	built := gramKeys(t, s)
	if len(built) == 0 {
		t.Fatal("no number grams written")
	}
	// A CDR replaced with another number: the old number keeps its grams while other
	// CDRs have it, and loses them with its last one.
	for i := range calls {
		if calls[i].From == "+1 (415) 555-0101" {
			calls[i].From = "07700900123"
		}
	}
	putCDRs(t, s, calls)
	if got, total, _ := s.SearchCDRs(Query{Number: "555"}); total != 0 {
		t.Errorf(`"555" still finds %d CDRs (%v) after its number was replaced`, total, got)
	}
	if _, total, _ := s.SearchCDRs(Query{Number: "7700"}); total != 5 {
		t.Errorf(`"7700" finds %d CDRs, want 5`, total)
	}
	// A file whose gram index is missing (written before it) gets it on opening, the
	// same keys as kept live.
	live := gramKeys(t, s)
	s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bNumberGrams) })
	s.Close()
	s = open(t, path, Options{NoSync: true})
	if rebuilt := gramKeys(t, s); !slices.Equal(rebuilt, live) {
		t.Errorf("rebuilt grams differ: %d keys, live %d", len(rebuilt), len(live))
	}
	if _, total, _ := s.SearchCDRs(Query{Number: "0912"}); total != 20 {
		t.Errorf(`after the rebuild "0912" finds %d CDRs, want 20`, total)
	}
	// Pruned CDRs take their numbers' grams with them.
	if _, err := s.PruneCDRs(t0.Add(24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if left := gramKeys(t, s); len(left) != 0 {
		t.Errorf("%d grams left after every CDR was pruned, e.g. %q", len(left), left[0])
	}
}

// A run nearly every number has is answered by reading the rows, with the same result.
func TestNumberSearchCommonRun(t *testing.T) {
	s, _ := tempStore(t)
	calls := genCDRs(9000, 7) // callers 0912xxxxxxx from a pool of 20,000
	putCDRs(t, s, calls)
	for _, q := range []Query{{Number: "0912", Start: 100}, {Number: "0912", Agent: "agent3", Count: 1000}, {Number: "00123", Count: 1000}} {
		got, total, err := s.SearchCDRs(q)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs, wantTotal := model(calls, q)
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if total != wantTotal || !slices.Equal(ids, wantIDs) {
			t.Errorf("%+v: total %d, want %d", q, total, wantTotal)
		}
	}
	s.db.View(func(tx *bolt.Tx) error {
		if p := newPlan(tx, Query{Number: "0912"}); p.driver != -1 || !p.check {
			t.Errorf(`"0912" over %d numbers plans driver %d check %v, want a row scan`, maxCandidate, p.driver, p.check)
		}
		if p := newPlan(tx, Query{Number: "00123"}); p.driver != fNumber || len(p.nums) == 0 {
			t.Errorf(`"00123" plans driver %d, want the number index`, p.driver)
		}
		return nil
	})
}

// commonRunCDRs are 6,000 callers whose numbers hold "0912" in two calls each (some
// calling another of them: both numbers of that CDR match) and 8,000 callers from
// "0935…" in five calls each, all a minute apart.
func commonRunCDRs() []call.Call {
	var calls []call.Call
	add := func(from, to string) {
		at := t0.Add(time.Duration(len(calls)) * time.Minute)
		c := call.Call{ID: fmt.Sprintf("pbx1:c%d", len(calls)), Source: "pbx1", Direction: call.Inbound,
			From: from, To: to, DID: to, State: call.StateEnded, Disposition: call.Answered,
			StartedAt: call.T(at), EndedAt: call.T(at.Add(30 * time.Second))}
		if len(calls)%3 == 0 {
			c.Disposition, c.Agent = call.Missed, ""
		} else {
			c.Agent = fmt.Sprintf("agent%d", len(calls)%7)
		}
		calls = append(calls, c)
	}
	for round := range 5 {
		for i := range 8000 {
			if round < 2 && i < 6000 {
				to := "02191305588"
				if i%40 == 0 {
					to = fmt.Sprintf("0912%07d", (i+1)*7919%10_000_000) // one 0912 caller rings another
				}
				add(fmt.Sprintf("0912%07d", i*7919%10_000_000), to)
			}
			add(fmt.Sprintf("0935%07d", i*104729%10_000_000), "02191305588")
		}
	}
	return calls
}

// A digit run more than maxCandidate numbers hold reads the records in time order (a
// run fewer hold, the number index): either way every page is the brute-force answer's,
// with its total, and paging through them yields every match once, in order, also where
// both numbers of a CDR match, with a period, with another filter, oldest first.
func TestNumberSearchManyNumbers(t *testing.T) {
	s, _ := tempStore(t)
	calls := commonRunCDRs()
	putCDRs(t, s, calls)
	from, to := cdrTime(&calls[3000]), cdrTime(&calls[20000])
	for _, c := range []struct {
		q    Query
		scan bool // more than maxCandidate numbers match: the records are read
	}{
		{Query{Number: "0912"}, true},
		{Query{Number: "0912", Asc: true}, true},
		{Query{Number: "+98 912"}, true},
		{Query{Number: "0912", From: from, To: to}, true},
		{Query{Number: "0912", Agent: "agent3"}, true},
		{Query{Number: "093"}, true},
		{Query{Number: "093", Disposition: string(call.Missed)}, true},
		{Query{Number: "09120"}, false},
		{Query{Number: "09120", Asc: true, From: from, To: to}, false},
	} {
		s.db.View(func(tx *bolt.Tx) error {
			p := newPlan(tx, c.q)
			if scan := p.nums == nil; scan != c.scan {
				t.Errorf("%+v: planned a scan %v with %d numbers, want %v", c.q, scan, len(p.nums), c.scan)
			}
			return nil
		})
		want, wantTotal := model(calls, Query{Number: c.q.Number, Agent: c.q.Agent, Disposition: c.q.Disposition,
			From: c.q.From, To: c.q.To, Asc: c.q.Asc, Count: len(calls)})
		if wantTotal < 300 {
			t.Fatalf("%+v: only %d matches; the case needs many", c.q, wantTotal)
		}
		var got []string
		for page := c.q; ; page.Start += page.Count {
			page.Count = 997
			rows, total, err := s.SearchCDRs(page)
			if err != nil {
				t.Fatal(err)
			}
			if total != wantTotal {
				t.Fatalf("%+v at %d: total %d, want %d", c.q, page.Start, total, wantTotal)
			}
			for _, r := range rows {
				got = append(got, r.ID)
			}
			if len(rows) < page.Count {
				break
			}
		}
		if !slices.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Errorf("%+v: paging yields %d CDRs, want %d; first difference at %d", c.q, len(got), len(want), i)
		}
	}
}
