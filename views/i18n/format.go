package i18n

import (
	"strconv"
	"strings"
	"time"

	"ringside/server/jalali"
)

// persianDigits maps ASCII digits to Persian ones, and the decimal and
// thousands separators to Persian's.
var persianDigits = strings.NewReplacer(
	"0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹",
	"%", "٪",
)

// Digits writes the figures of s in the language's digits. Phone numbers must not
// go through it: they keep Latin digits so they can be copied into a dialer.
func (l *Locale) Digits(s string) string {
	if l.Persian() {
		return persianDigits.Replace(s)
	}
	return s
}

// Num is an integer with the language's digit grouping: 12,345 (en), 12 345 (cs,
// fr, ru), ۱۲٬۳۴۵ (fa).
func (l *Locale) Num(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if len(s) > 4 || (len(s) == 4 && (l.Lang == "en" || l.Lang == Pseudo || l.Lang == "fa")) {
		sep := l.T("fmt_group")
		var b strings.Builder
		pre := len(s) % 3
		b.WriteString(s[:pre])
		for i := pre; i < len(s); i += 3 {
			if b.Len() > 0 {
				b.WriteString(sep)
			}
			b.WriteString(s[i : i+3])
		}
		s = b.String()
	}
	if neg {
		s = "-" + s
	}
	return l.Digits(s)
}

// Percent is a rounded percentage: "87%", "87 %" (cs, fr, ru), "۸۷٪".
func (l *Locale) Percent(f float64) string {
	return l.T("fmt_percent", "N", l.Digits(strconv.FormatFloat(f, 'f', 0, 64)))
}

// Clock is a wall clock time of t in the locale's zone: "15:04" (or with seconds).
func (l *Locale) Clock(t time.Time, seconds bool) string {
	layout := "15:04"
	if seconds {
		layout = "15:04:05"
	}
	return l.Digits(t.In(l.Zone).Format(layout))
}

// dayMonth is the day and month name of t in the locale's calendar and zone, and
// its year.
func (l *Locale) dayMonth(t time.Time) (day, month string, year int) {
	t = t.In(l.Zone)
	if l.Persian() {
		j := jalali.Of(t)
		return l.Digits(strconv.Itoa(j.Day)), l.T("month_" + strconv.Itoa(j.Month)), j.Year
	}
	return strconv.Itoa(t.Day()), l.T("month_" + strconv.Itoa(int(t.Month()))), t.Year()
}

// Date is t's day in the locale's calendar: "30 Nov 2026", "۹ آذر ۱۴۰۵"; without the
// year when withYear is false.
func (l *Locale) Date(t time.Time, withYear bool) string {
	d, m, y := l.dayMonth(t)
	if !withYear {
		return l.T("fmt_day_month", "Day", d, "Month", m)
	}
	return l.T("fmt_date", "Day", d, "Month", m, "Year", l.Digits(strconv.Itoa(y)))
}

// Year is the locale calendar's year of t.
func (l *Locale) Year(t time.Time) int {
	_, _, y := l.dayMonth(t)
	return y
}

// SameDay says whether a and b fall on one day in the locale's zone.
func (l *Locale) SameDay(a, b time.Time) bool {
	ay, am, ad := a.In(l.Zone).Date()
	by, bm, bd := b.In(l.Zone).Date()
	return ay == by && am == bm && ad == bd
}

// DateInput is t's day as the CDR filter's date field shows it: YYYY-MM-DD in the
// locale's calendar, Latin digits (it is an input to edit).
func (l *Locale) DateInput(t time.Time) string {
	t = t.In(l.Zone)
	if l.Persian() {
		return jalali.Of(t).String()
	}
	return t.Format("2006-01-02")
}

// ParseDateInput reads a date field (YYYY-MM-DD in the locale's calendar, Persian or
// Latin digits, / or - between) as the start of that day in the locale's zone.
func (l *Locale) ParseDateInput(s string) (time.Time, bool) {
	s = strings.TrimSpace(LatinDigits(s))
	s = strings.ReplaceAll(s, "/", "-")
	if s == "" {
		return time.Time{}, false
	}
	p := strings.Split(s, "-")
	if len(p) != 3 {
		return time.Time{}, false
	}
	y, e1 := strconv.Atoi(p[0])
	m, e2 := strconv.Atoi(p[1])
	d, e3 := strconv.Atoi(p[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return time.Time{}, false
	}
	if l.Persian() && y < 1700 { // Jalali; a Gregorian date (a shared link) is read as one
		j := jalali.Date{Year: y, Month: m, Day: d}
		if !j.Valid() {
			return time.Time{}, false
		}
		return j.In(0, 0, 0, 0, l.Zone), true
	}
	t, err := time.ParseInLocation("2006-01-02", s, l.Zone)
	if err != nil || t.Year() != y {
		return time.Time{}, false
	}
	return t, true
}

// DateInputPattern is the filter field's example, in the locale's calendar.
func (l *Locale) DateInputPattern() string { return l.T("fmt_date_input") }

// LatinDigits turns Persian and Arabic-Indic digits into ASCII ones.
func LatinDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		}
		return r
	}, s)
}
