package views

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"ringside/server/call"
	"ringside/views/i18n"
)

// loc is the locale the page or fragment is rendered in (it travels in ctx).
func loc(ctx context.Context) *i18n.Locale { return i18n.From(ctx) }

// t is a catalog string; kv are its {{.Fields}} as name, value pairs.
func t(ctx context.Context, id string, kv ...any) string { return loc(ctx).T(id, kv...) }

// tn is a catalog string in the plural form for n.
func tn(ctx context.Context, id string, n int, kv ...any) string { return loc(ctx).N(id, n, kv...) }

// figure is an integer in the person's digits and grouping.
func figure(ctx context.Context, n int) string { return loc(ctx).Num(n) }

// digits writes a formatted figure (a clock, a percentage) in the person's digits.
func digits(ctx context.Context, s string) string { return loc(ctx).Digits(s) }

// roleName is a role as people read it.
func roleName(ctx context.Context, role string) string {
	switch role {
	case RoleAdmin, RoleSupervisor, RoleManager, RoleAgent:
		return t(ctx, "role_"+role)
	}
	return role
}

// statusText is an HTTP status as a heading.
func statusText(ctx context.Context, code int) string {
	switch code {
	case 400, 401, 403, 404, 500, 502, 503:
		return t(ctx, "error_"+strconv.Itoa(code))
	}
	if http.StatusText(code) == "" {
		return t(ctx, "error_500")
	}
	return t(ctx, "error_other", "Code", code)
}

// pageTitle is the document title.
func pageTitle(ctx context.Context, title string) string {
	if title == "" {
		return t(ctx, "brand")
	}
	return t(ctx, "title", "Title", title)
}

// jsStrings are the catalog strings web/app.js shows (toasts, notifications,
// ticking clocks), as the body's data-i18n.
func jsStrings(ctx context.Context) string {
	l := loc(ctx)
	m := map[string]string{"lang": l.Lang, "dir": l.Dir(), "daysHours": l.T("fmt_days_hours", "D", "{d}", "H", "{h}")}
	for _, k := range jsKeys {
		m[k] = l.T(k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// jsKeys are the catalog keys web/app.js reads from data-i18n.
var jsKeys = []string{"js_call_failed", "js_network_error", "js_new_call", "js_ringing", "js_copied"}

// dateTime is a day and time in the person's calendar, zone and digits; the date
// is left out when it is today (relative to now) and the year when it is this year.
func dateTime(ctx context.Context, now time.Time, t *time.Time) string {
	if t == nil {
		return "—"
	}
	l := loc(ctx)
	if l.SameDay(now, *t) {
		return l.Clock(*t, true)
	}
	d := l.Date(*t, l.Year(*t) != l.Year(now))
	return l.T("fmt_date_time", "Date", d, "Time", l.Clock(*t, false))
}

// fullDateTime is a day and time with its year and seconds.
func fullDateTime(ctx context.Context, t *time.Time) string {
	if t == nil {
		return "—"
	}
	l := loc(ctx)
	return l.T("fmt_date_time", "Date", l.Date(*t, true), "Time", l.Clock(*t, true))
}

// zoneName is the abbreviation of the person's zone at t ("CET"), or its offset from
// UTC in the person's digits when the zone has no abbreviation ("UTC+03:30").
func zoneName(ctx context.Context, t *time.Time) string {
	if t == nil {
		return ""
	}
	name := t.In(loc(ctx).Zone).Format("MST")
	if name == "" || name[0] != '+' && name[0] != '-' {
		return name // a name ("CET"), the same in every language
	}
	off := t.In(loc(ctx).Zone).Format("-07:00") // a zone without a name: its offset
	return loc(ctx).T("fmt_utc_offset", "Offset", loc(ctx).Digits(off))
}

// clockOf is a time of day in the person's zone and digits.
func clockOf(ctx context.Context, t *time.Time, seconds bool) string {
	if t == nil {
		return "—"
	}
	return loc(ctx).Clock(*t, seconds)
}

// dur is a duration as a clock (mm:ss, h:mm:ss, "Nd Hh") in the person's digits.
func dur(ctx context.Context, d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 86400 {
		l := loc(ctx)
		return l.T("fmt_days_hours", "D", l.Num(int(s/86400)), "H", l.Num(int(s%86400/3600)))
	}
	return digits(ctx, clock(d))
}

// callerText is the caller's number as shown, "unknown" in the person's language
// when the vendor sent none.
func callerText(ctx context.Context, c call.Call) string {
	if n := c.OtherParty(); n != "" {
		return n
	}
	return t(ctx, "caller_unknown")
}

// dirTitle names a call direction.
func dirTitle(ctx context.Context, d call.Direction) string {
	switch d {
	case call.Inbound, call.Outbound, call.Internal:
		return t(ctx, "dir_"+string(d))
	}
	return string(d)
}

// weekdayDate is "Monday 30 Nov" in the person's language and calendar.
func weekdayDate(ctx context.Context, now time.Time) string {
	l := loc(ctx)
	wd := t(ctx, "weekday_"+strconv.Itoa(int(now.In(l.Zone).Weekday())))
	return t(ctx, "fmt_weekday_date", "Weekday", wd, "Date", l.Date(now, false))
}

// secsDur is seconds as a duration.
func secsDur(f float64) time.Duration { return time.Duration(math.Round(f)) * time.Second }

// pctOf is a service level in the person's digits; "—" when no call counted yet.
func pctOf(ctx context.Context, f float64, counted bool) string {
	if !counted {
		return "—"
	}
	return loc(ctx).Percent(math.Round(f))
}

// sinceIn is the ticking clock text for a start time, in the person's digits.
func sinceIn(ctx context.Context, now time.Time, at *time.Time) string {
	if at == nil {
		return "—"
	}
	return dur(ctx, now.Sub(*at))
}

// vendorIf marks vendor text (translate="no"): the pseudo-language test skips it.
func vendorIf(vendor bool) string {
	if vendor {
		return "no"
	}
	return "yes"
}

// secspIn is optional seconds as a clock in the person's digits, "—" when unknown.
func secspIn(ctx context.Context, f *float64) string {
	if f == nil {
		return "—"
	}
	return dur(ctx, secsDur(*f))
}

// countForms is data-count-text: the plural forms web/app.js picks from when it
// counts a row pushed live.
func countForms(ctx context.Context, id string) string {
	b, _ := json.Marshal(loc(ctx).Forms(id))
	return string(b)
}

// dateField shows a date filter's value in the person's calendar.
func dateField(ctx context.Context, v string) string {
	l := loc(ctx)
	if at, ok := l.ParseDateInput(v); ok {
		return l.DateInput(at)
	}
	return v
}

// dirOptions and resultOptions are the CDR filter's fixed choices (query values);
// dirNames and resultNames label them.
var (
	dirOptions    = []string{string(call.Inbound), string(call.Outbound), string(call.Internal)}
	resultOptions = []string{string(call.Answered), string(call.Missed), string(call.Busy), string(call.Failed)}
)

func dirNames(ctx context.Context) Names {
	return Names{string(call.Inbound): t(ctx, "dir_inbound"), string(call.Outbound): t(ctx, "dir_outbound"), string(call.Internal): t(ctx, "dir_internal")}
}

func resultNames(ctx context.Context) Names {
	return Names{string(call.Answered): t(ctx, "state_answered"), string(call.Missed): t(ctx, "state_missed"), string(call.Busy): t(ctx, "state_busy"), string(call.Failed): t(ctx, "state_failed")}
}

// dispositionText is a call's result in the person's language, "—" when none.
func dispositionText(ctx context.Context, d call.Disposition) string {
	if d == "" {
		return "—"
	}
	return stateLabel(ctx, d)
}
