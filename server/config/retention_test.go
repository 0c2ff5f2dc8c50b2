package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetentionDefaults(t *testing.T) {
	for _, tc := range []struct {
		cdr, raw, ev    int
		wantRaw, wantEv time.Duration
		err             string
	}{
		{0, 0, 0, 90 * 24 * time.Hour, 0, ""},
		{365, 0, 0, 90 * 24 * time.Hour, 365 * 24 * time.Hour, ""},
		{365, -1, 30, 0, 30 * 24 * time.Hour, ""},
		{0, 7, -1, 7 * 24 * time.Hour, 0, ""},
		{0, 0, 2, 0, 0, "event_retention_days: 2 days"},
	} {
		c := &Config{CDRRetentionDays: tc.cdr, RawRetentionDays: tc.raw, EventRetentionDays: tc.ev}
		err := Check(c)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: %v, want an error saying %q", tc, err, tc.err)
			}
			continue
		}
		if err != nil || c.RawRetention() != tc.wantRaw || c.EventRetention() != tc.wantEv {
			t.Errorf("%+v: raw %v events %v (%v), want %v and %v", tc, c.RawRetention(), c.EventRetention(), err, tc.wantRaw, tc.wantEv)
		}
	}
}
