package views

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"ringside/server/report"
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

	Queues, QueuesBy []report.QueueRow // totals, and by Form.By
	Pooled           []report.QueueRow // all the selected queues together, by Form.By
	QueuesAll        []report.QueueRow // all the selected queues together, one row
	Agents, AgentsBy []report.AgentRow // totals, and by day
	Dist             report.Distribution

	QueueIDs, AgentIDs, Sources []string
	QueueNames                  map[string]string
}

var reportPeriods = [][2]string{{"today", "Today"}, {"yesterday", "Yesterday"}, {"this_week", "This week"},
	{"last_7_days", "Last 7 days"}, {"this_month", "This month"}, {"last_month", "Last month"}, {"custom", "Custom range"}}

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

// periodLabel says the period in words: "Tue 10 Mar 2026" or "1 Mar – 31 Mar 2026".
func (d ReportData) periodLabel() string {
	last := d.To.AddDate(0, 0, -1)
	if !last.After(d.From) {
		return d.From.Format("Mon 2 Jan 2006")
	}
	if d.From.Year() == last.Year() {
		return d.From.Format("Mon 2 Jan") + " – " + last.Format("Mon 2 Jan 2006")
	}
	return d.From.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
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
func reasons(rows []report.AgentRow) []string {
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

func pausedTotal(r report.AgentRow) float64 {
	t := 0.0
	for _, v := range r.PausedS {
		t += v
	}
	return t
}

// periodText shows a row's period start: "14:00" by hour within a day, else the date.
func periodText(period, by string) string {
	t, err := time.Parse(time.RFC3339, period)
	if err != nil {
		return period
	}
	if by == report.GroupHour {
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("Mon 2 Jan 2006")
}

func n64(n int64) string { return thousands(int(n)) }

func pctText(f float64) string { return f1(f) + "%" }

// duration shows a report's seconds: "16.5 s" under a minute, else m:ss or h:mm:ss
// with as many hours as there are (a month's logged-in time stays exact).
func duration(s float64) string {
	switch r := int64(math.Round(s)); {
	case s < 60:
		return f1(s) + " s"
	case r < 3600:
		return fmt.Sprintf("%d:%02d", r/60, r%60)
	default:
		return fmt.Sprintf("%d:%02d:%02d", r/3600, r%3600/60, r%60)
	}
}

var weekdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// binLabels names distribution bins briefly: "< 10 s", "10–20 s", "1–2 min", "5 min+".
func binLabels(bounds []float64) []string {
	short := func(s float64) (string, string) {
		if s < 60 {
			return num(s), "s"
		}
		return num(s / 60), "min"
	}
	var out []string
	for i, b := range bounds {
		hi, unit := short(b)
		if i == 0 {
			out = append(out, "< "+hi+" "+unit)
			continue
		}
		lo, loUnit := short(bounds[i-1])
		if loUnit != unit {
			lo += " " + loUnit
		}
		out = append(out, lo+"–"+hi+" "+unit)
	}
	last, unit := short(bounds[len(bounds)-1])
	return append(out, last+" "+unit+"+")
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
		bins, bounds := d.Dist.Wait, report.WaitBins
		if table == "talk" {
			bins, bounds = d.Dist.Talk, report.TalkBins
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

// capitalized is the first letter up: "queues" → "Queues".
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func twoDigits(h int) string { return fmt.Sprintf("%02d", h) }
