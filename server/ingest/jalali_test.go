package ingest

import (
	"net/url"
	"testing"
	"time"
)

// Simotel installations in Iran send Jalali dates ("1399-12-11 10:15:51", as in
// Simotel's API documentation): they are converted, not read as the year 1399.
func TestSimotelJalaliDates(t *testing.T) {
	src := fixtureSource("pbx1")
	res, err := decodeSimotel(src, Request{Method: "GET", Query: url.Values{
		"event_name": {"Cdr"}, "unique_id": {"1.9"}, "disposition": {"ANSWERED"},
		"starttime": {"1399-12-11 10:15:51"}, "endtime": {"1399/12/11 10:17:42.5"}, "wait": {"10"}, "billsec": {"100"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Events[0]
	start := time.Date(2021, 3, 1, 10, 15, 51, 0, src.Location)
	if e.StartedAt == nil || !e.StartedAt.Equal(start) {
		t.Fatalf("StartedAt = %v, want %v (1399-12-11 is 1 March 2021)", e.StartedAt, start)
	}
	if end := time.Date(2021, 3, 1, 10, 17, 42, 500e6, src.Location); !e.At.Equal(end) {
		t.Errorf("At = %v, want %v", e.At, end)
	}
}

func TestParseSimotelTime(t *testing.T) {
	teh, _ := time.LoadLocation("Asia/Tehran")
	cases := map[string]time.Time{
		"1399-12-11 10:15:51":   time.Date(2021, 3, 1, 10, 15, 51, 0, teh),
		"1405-09-09":            time.Date(2026, 11, 30, 0, 0, 0, 0, teh),
		"1403-12-30 23:59":      time.Date(2025, 3, 20, 23, 59, 0, 0, teh),
		"2021-01-16 06:30:37.5": time.Date(2021, 1, 16, 6, 30, 37, 500e6, teh),
		"2021-03-01T06:45:51Z":  time.Date(2021, 3, 1, 6, 45, 51, 0, time.UTC),
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			got, ok := parseSimotelTime(in, teh)
			if !ok || !got.Equal(want) {
				t.Errorf("%q = %v %v, want %v", in, got, ok, want)
			}
			if ok && got.Location() != time.UTC {
				t.Errorf("%q not UTC: %v", in, got.Location())
			}
		})
	}
	for _, bad := range []string{"1402-12-30 10:00:00", "1399-13-01", "1399-12-11 25:00:00"} {
		t.Run(bad, func(t *testing.T) {
			if got, ok := parseSimotelTime(bad, teh); ok {
				t.Errorf("%q accepted as %v", bad, got)
			}
		})
	}
}
