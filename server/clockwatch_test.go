package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/config"
)

func TestClockWarning(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	end := func(d time.Duration) []call.Event {
		return []call.Event{{Type: call.CallRecord, EndedAt: call.T(now.Add(d))}}
	}
	for _, tc := range []struct {
		name    string
		loc     *time.Location
		offsets []time.Duration
		want    string
	}{
		{"Tehran times read as UTC", time.UTC, []time.Duration{210 * time.Minute, 210*time.Minute - 3*time.Second, 210 * time.Minute, 209 * time.Minute, 211 * time.Minute},
			`times from p run 3h30 ahead of the clock: set timezone = "Asia/Tehran"`},
		{"UTC times read as Prague (winter +1)", mustZone(t, "Europe/Prague"), []time.Duration{-time.Hour, -time.Hour, -time.Hour, -time.Hour, -time.Hour},
			`times from p run 1h behind the clock: set timezone = "UTC"`},
		{"records a few seconds late", time.UTC, []time.Duration{-2 * time.Second, -5 * time.Second, -1 * time.Second, -30 * time.Second, -3 * time.Second}, ""},
		{"too few to judge", time.UTC, []time.Duration{5 * time.Hour, 5 * time.Hour, 5 * time.Hour, 5 * time.Hour}, ""},
		{"one stray record does not decide", time.UTC, []time.Duration{0, 0, 5 * time.Hour, 0, 0}, ""},
	} {
		var w clockWatch
		for _, o := range tc.offsets {
			w.observe(log, "p", tc.loc, end(o), now)
		}
		if got := w.warning("p", tc.loc, now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A Simotel PBX in Tehran, configured as UTC: its Cdr times are 3h30 ahead of when they
// arrive. The settings page says so and names the zone.
func TestSettingsShowClockWarning(t *testing.T) {
	q := startQueueScenario(t, func(c *config.Config) {
		for i := range c.Sources {
			if c.Sources[i].Name == "pbx1" {
				c.Sources[i].Timezone = "UTC"
			}
		}
	})
	for i := range 6 {
		s := float64(60 * i)
		q.post(at(s+30), "/hooks/pbx1/Cdr", fmt.Sprintf(`{"event_name":"Cdr","unique_id":"1773133400.%d","src":"0912","dst":"991","type":"incoming",
			"disposition":"ANSWERED","duration":"30","billsec":"25","wait":"5","starttime":%q,"endtime":%q}`, i, tehran(s), tehran(s+30)))
	}
	req, _ := http.NewRequest("GET", q.url+"/settings", nil)
	req.AddCookie(q.cookie)
	_, page := q.do(req)
	if !strings.Contains(page, `times from pbx1 run 3 hours 30 minutes ahead of the clock: set timezone = &#34;Asia/Tehran&#34;`) {
		t.Errorf("no clock warning on /settings")
	}
}
