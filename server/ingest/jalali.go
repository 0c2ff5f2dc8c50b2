package ingest

import (
	"regexp"
	"strconv"
	"time"

	"ringside/server/jalali"
)

// jalaliStamp is a Simotel date whose year is a Jalali year: Simotel installations in
// Iran answer "1399-12-11 10:15:51". No Gregorian date a PBX sends today has a year
// below 1700, and no Jalali one above it, so the year tells the calendars apart.
var jalaliStamp = regexp.MustCompile(`^\s*(1[0-6]\d\d)[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*$`)

// parseSimotelTime reads a Simotel time: a Jalali date-time (converted to the
// Gregorian instant, in loc when it has no zone) or any format parseTime reads.
func parseSimotelTime(s string, loc *time.Location) (time.Time, bool) {
	m := jalaliStamp.FindStringSubmatch(s)
	if m == nil {
		return parseTime(s, loc)
	}
	if loc == nil {
		loc = time.UTC
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	d := jalali.Date{Year: n(1), Month: n(2), Day: n(3)}
	if !d.Valid() || n(4) > 23 || n(5) > 59 || n(6) > 59 {
		return time.Time{}, false
	}
	ns := 0
	if m[7] != "" {
		f, _ := strconv.ParseFloat("0."+m[7], 64)
		ns = int(f * 1e9)
	}
	return d.In(n(4), n(5), n(6), ns, loc).UTC(), true
}
