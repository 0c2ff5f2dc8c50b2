package views

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"ringside/server/call"
)

// ReportForm is the reports page's query: the view, the period and the filters.
type ReportForm struct {
	View   string // queues | agents | distribution
	Period string // today | yesterday | this_week | last_7_days | this_month | last_month | custom
	From   string // custom range, YYYY-MM-DD, both days included
	To     string
	By     string // hour | day: the queues' breakdown
	Queue  string
	Agent  string
	Source string
}

// Values is the form as URL query values (empty fields left out).
func (f ReportForm) Values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"view": f.View, "period": f.Period, "by": f.By, "queue": f.Queue,
		"agent": f.Agent, "source": f.Source} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if f.Period == "custom" {
		v.Set("from", f.From)
		v.Set("to", f.To)
	}
	return v
}

// ReportData is one render of the reports page.
type ReportData struct {
	Form      ReportForm
	Now       time.Time
	From, To  time.Time // the period, [From, To), in the person's zone
	BadPeriod bool      // the custom range was unreadable: today is shown

	Queues, QueuesBy []call.QueueRow // totals, and by Form.By
	Pooled           []call.QueueRow // all the selected queues together, by Form.By
	QueuesAll        []call.QueueRow // all the selected queues together, one row
	Agents, AgentsBy []call.AgentRow // totals, and by day
	Dist             call.Distribution

	QueueIDs, AgentIDs, Sources []string
	QueueNames                  map[string]string
}

// reportPeriods are the period choices; each is named by the catalog key rp_p_<period>.
var reportPeriods = []string{"today", "yesterday", "this_week", "last_7_days", "this_month", "last_month", "custom"}

// byKey is the queues' breakdown as a catalog key suffix: "hour" or "day".
func (d ReportData) byKey() string {
	if d.Form.By == call.GroupHour {
		return "hour"
	}
	return "day"
}

func (d ReportData) url(base string, change func(*ReportForm), extra ...string) templ.SafeURL {
	f := d.Form
	if change != nil {
		change(&f)
	}
	v := f.Values()
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return templ.SafeURL(base + "?" + v.Encode())
}

func (d ReportData) viewURL(view string) templ.SafeURL {
	return d.url("/reports", func(f *ReportForm) { f.View = view })
}

func (d ReportData) csvURL(table string) templ.SafeURL {
	return d.url("/reports.csv", nil, "table", table)
}

// periodLabel says the period in the person's words and calendar: "Tue 10 Mar 2026"
// or "Sun 1 Mar – Tue 31 Mar 2026".
func (d ReportData) periodLabel(ctx context.Context) string {
	last := d.To.AddDate(0, 0, -1)
	l := loc(ctx)
	if !last.After(d.From) {
		return shortDay(ctx, d.From, true)
	}
	if l.Year(d.From) == l.Year(last) {
		return t(ctx, "fmt_range", "From", shortDay(ctx, d.From, false), "To", shortDay(ctx, last, true))
	}
	return t(ctx, "fmt_range", "From", l.Date(d.From, true), "To", l.Date(last, true))
}

// shortDay is "Tue 10 Mar" (with the year: "Tue 10 Mar 2026") in the person's
// language, calendar and zone.
func shortDay(ctx context.Context, at time.Time, withYear bool) string {
	l := loc(ctx)
	wd := t(ctx, "wd_short_"+strconv.Itoa(int(at.In(l.Zone).Weekday())))
	return t(ctx, "fmt_weekday_date", "Weekday", wd, "Date", l.Date(at, withYear))
}

// customFrom/customTo prefill the custom range with the period shown.
func (d ReportData) customFrom() string { return d.From.Format(time.DateOnly) }
func (d ReportData) customTo() string   { return d.To.AddDate(0, 0, -1).Format(time.DateOnly) }

func (d ReportData) queueName(id string) string {
	if n := d.QueueNames[id]; n != "" {
		return n
	}
	return local(id)
}

// reasons are the pause reasons of the agents shown, sorted.
func reasons(rows []call.AgentRow) []string {
	var out []string
	for _, r := range rows {
		for k := range r.PausedS {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

func pausedTotal(r call.AgentRow) float64 {
	t := 0.0
	for _, v := range r.PausedS {
		t += v
	}
	return t
}

// periodText shows a row's period start in the person's calendar: "Tue 10 Mar 14:00"
// by hour, else the day.
func periodText(ctx context.Context, period, by string) string {
	at, err := time.Parse(time.RFC3339, period)
	if err != nil {
		return period
	}
	if by == call.GroupHour {
		return t(ctx, "fmt_date_time", "Date", shortDay(ctx, at, false), "Time", loc(ctx).Clock(at, false))
	}
	return shortDay(ctx, at, true)
}

// n64 is a count in the person's digits and grouping.
func n64(ctx context.Context, n int64) string { return figure(ctx, int(n)) }

// decimal is f to one decimal in the person's digits and decimal separator.
func decimal(ctx context.Context, f float64) string {
	return loc(ctx).Digits(strings.Replace(f1(f), ".", t(ctx, "fmt_decimal"), 1))
}

// pctText is a percentage to one decimal: "87.5%", "87,5 %", "۸۷٫۵٪".
func pctText(ctx context.Context, f float64) string {
	return t(ctx, "fmt_percent", "N", decimal(ctx, f))
}

// duration shows a report's seconds: "16.5 s" under a minute, else m:ss or h:mm:ss
// with as many hours as there are (a month's logged-in time stays exact), in the
// person's digits.
func duration(ctx context.Context, s float64) string {
	switch r := int64(math.Round(s)); {
	case s < 60:
		return t(ctx, "u_seconds", "N", decimal(ctx, s))
	case r < 3600:
		return digits(ctx, fmt.Sprintf("%d:%02d", r/60, r%60))
	default:
		return digits(ctx, fmt.Sprintf("%d:%02d:%02d", r/3600, r%3600/60, r%60))
	}
}

// weekdays name the CSV's weekday rows (CSV keeps English, like the API).
var weekdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// binLabels names distribution bins briefly, in the person's words and digits:
// "< 10 s", "10–20 s", "1–2 min", "5 min+".
func binLabels(ctx context.Context, bounds []float64) []string {
	short := func(s float64) (string, string) {
		if s < 60 {
			return decimal(ctx, s), "u_seconds"
		}
		return decimal(ctx, s/60), "u_minutes"
	}
	var out []string
	for i, b := range bounds {
		hi, unit := short(b)
		if i == 0 {
			out = append(out, t(ctx, "fmt_bin_under", "N", t(ctx, unit, "N", hi)))
			continue
		}
		lo, loUnit := short(bounds[i-1])
		if loUnit != unit {
			lo = t(ctx, loUnit, "N", lo)
		}
		out = append(out, t(ctx, unit, "N", t(ctx, "fmt_bin_range", "Lo", lo, "Hi", hi)))
	}
	last, unit := short(bounds[len(bounds)-1])
	return append(out, t(ctx, "fmt_bin_over", "N", t(ctx, unit, "N", last)))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ReportCSV is one table of the page as CSV rows, header first. Cells are raw: the
// caller defuses spreadsheet formulas.
func ReportCSV(d ReportData, table string) [][]string {
	switch table {
	case "queues", "queues_by":
		rows := d.Queues
		if table == "queues_by" {
			rows = d.QueuesBy
		}
		out := [][]string{{"queue", "name", "period", "offered", "answered", "abandoned", "short_abandoned",
			"service_level_pct", "asa_s", "aht_s", "longest_wait_s", "callbacks"}}
		for _, r := range rows {
			out = append(out, []string{r.Queue, r.Name, r.Period, n(r.Offered), n(r.Answered), n(r.Abandoned),
				n(r.ShortAbandoned), num(r.ServiceLevelPct), num(r.ASAS), num(r.AHTS), num(r.LongestWaitS), n(r.Callbacks)})
		}
		return out
	case "agents", "agents_by":
		rows := d.Agents
		if table == "agents_by" {
			rows = d.AgentsBy
		}
		rs := reasons(rows)
		head := []string{"agent", "name", "period", "offered", "answered", "not_answered", "outbound", "talk_s",
			"aht_s", "logged_in_s", "available_s", "paused_s"}
		for _, r := range rs {
			head = append(head, "paused_s:"+r)
		}
		out := [][]string{append(head, "occupancy_pct")}
		for _, r := range rows {
			row := []string{r.Agent, r.Name, r.Period, n(r.Offered), n(r.Answered), n(r.NotAnswered), n(r.Outbound),
				num(r.TalkS), num(r.AHTS), num(r.LoggedInS), num(r.AvailableS), num(pausedTotal(r))}
			for _, k := range rs {
				row = append(row, num(r.PausedS[k]))
			}
			out = append(out, append(row, num(r.OccupancyPct)))
		}
		return out
	case "heat":
		head := []string{"weekday"}
		for h := range 24 {
			head = append(head, fmt.Sprintf("%02d", h))
		}
		out := [][]string{head}
		for i, day := range d.Dist.Heat {
			row := []string{weekdays[i]}
			for _, v := range day {
				row = append(row, n(v))
			}
			out = append(out, row)
		}
		return out
	case "wait", "talk":
		bins, bounds := d.Dist.Wait, call.WaitBins
		if table == "talk" {
			bins, bounds = d.Dist.Talk, call.TalkBins
		}
		out := [][]string{{"from_s", "to_s", "calls"}}
		lo := 0.0
		for i, v := range bins {
			hi := ""
			if i < len(bounds) {
				hi = num(bounds[i])
			}
			out = append(out, []string{num(lo), hi, n(v)})
			if i < len(bounds) {
				lo = bounds[i]
			}
		}
		return out
	}
	return nil
}

func n(v int64) string { return strconv.FormatInt(v, 10) }

func twoDigits(h int) string { return fmt.Sprintf("%02d", h) }
