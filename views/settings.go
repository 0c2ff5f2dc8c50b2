package views

import (
	"context"
	"time"
)

// clockSkewText says how far a source's times are from the clock, and the zone that
// would fit them.
func clockSkewText(ctx context.Context, source string, sk ClockSkew) string {
	key, d := "set_clock_ahead", sk.By
	if d < 0 {
		key, d = "set_clock_behind", -d
	}
	s := t(ctx, key, "Source", source, "By", hoursMinutesIn(ctx, d))
	if sk.Zone != "" {
		s += t(ctx, "set_clock_zone", "Zone", sk.Zone)
	}
	return s
}

// hoursMinutesIn is a duration of hours and minutes in the person's words and digits.
func hoursMinutesIn(ctx context.Context, d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return tn(ctx, "n_minutes", m)
	case m == 0:
		return tn(ctx, "n_hours", h)
	}
	return t(ctx, "fmt_hours_minutes", "H", tn(ctx, "n_hours", h), "M", tn(ctx, "n_minutes", m))
}
