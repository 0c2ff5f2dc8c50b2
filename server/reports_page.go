package server

import (
	"encoding/csv"
	"net/url"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/server/report"
	"ringside/views"
	"ringside/views/i18n"
)

// reportPeriod turns the form's period into [from, to) in zone, at now. Weeks start
// on Monday; a custom range includes its last day.
func reportPeriod(f views.ReportForm, now time.Time) (from, to time.Time, ok bool) {
	day := midnight(now)
	switch f.Period {
	case "", "today":
		return day, day.AddDate(0, 0, 1), true
	case "yesterday":
		return day.AddDate(0, 0, -1), day, true
	case "this_week":
		from = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		return from, from.AddDate(0, 0, 7), true
	case "last_7_days":
		return day.AddDate(0, 0, -6), day.AddDate(0, 0, 1), true
	case "this_month":
		from = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, day.Location())
		return from, from.AddDate(0, 1, 0), true
	case "last_month":
		from = time.Date(day.Year(), day.Month()-1, 1, 0, 0, 0, 0, day.Location())
		return from, from.AddDate(0, 1, 0), true
	case "custom":
		a, errA := time.ParseInLocation(time.DateOnly, f.From, day.Location())
		b, errB := time.ParseInLocation(time.DateOnly, f.To, day.Location())
		if errA != nil || errB != nil || b.Before(a) || b.Sub(a) > (maxReportDays-1)*24*time.Hour {
			return day, day.AddDate(0, 0, 1), false
		}
		return a, b.AddDate(0, 0, 1), true
	}
	return day, day.AddDate(0, 0, 1), false
}

func reportForm(c *fiber.Ctx) views.ReportForm {
	l := localeOf(c) // a custom range in the person's calendar (Jalali for Persian) becomes Gregorian
	f := views.ReportForm{View: c.Query("view"), Period: c.Query("period"), From: gregorianDate(l, c.Query("from")), To: gregorianDate(l, c.Query("to")),
		By: c.Query("by"), Queue: c.Query("queue"), Agent: c.Query("agent"), Source: c.Query("source")}
	if !slices.Contains([]string{"queues", "agents", "distribution"}, f.View) {
		f.View = "queues"
	}
	return f
}

// gregorianDate is a date field read in l's calendar as YYYY-MM-DD (Gregorian); a
// field it cannot read stays as it is (and the period is refused).
func gregorianDate(l *i18n.Locale, v string) string {
	if t, ok := l.ParseDateInput(v); ok {
		return t.Format(time.DateOnly)
	}
	return v
}

// reportData reads every figure the page (or its CSV) shows for the form, with its
// periods (today, this week, hours of the day) in zone, the person's own.
func (s *Server) reportData(f views.ReportForm, zone *time.Location) (views.ReportData, error) {
	now := s.now().In(zone)
	from, to, ok := reportPeriod(f, now)
	d := views.ReportData{Form: f, Now: now, From: from, To: to, BadPeriod: !ok}
	if !slices.Contains([]string{call.GroupHour, call.GroupDay}, f.By) {
		d.Form.By = call.GroupDay
		if to.Sub(from) <= 24*time.Hour {
			d.Form.By = call.GroupHour
		}
	}
	if d.Form.By == call.GroupHour && to.Sub(from) > maxReportHourDays*24*time.Hour {
		d.Form.By = call.GroupDay
	}
	p := report.Params{From: from, To: to, GroupBy: call.GroupTotal, Zone: now.Location(), Now: s.now()}
	if f.Queue != "" {
		p.Queues = []string{f.Queue}
	}
	if f.Agent != "" {
		p.Agents = []string{f.Agent}
	}
	if f.Source != "" {
		p.Source = []string{f.Source}
	}
	r := s.reports()
	var err error
	switch f.View {
	case "queues":
		if d.Queues, err = r.Queues(p); err == nil {
			pool := p
			pool.Pool = true
			d.QueuesAll, err = r.Queues(pool)
		}
		if err == nil {
			p.GroupBy = d.Form.By
			if d.QueuesBy, err = r.Queues(p); err == nil {
				p.Pool = true
				d.Pooled, err = r.Queues(p)
			}
		}
	case "agents":
		if d.Agents, err = r.Agents(p); err == nil {
			p.GroupBy = call.GroupDay
			d.AgentsBy, err = r.Agents(p)
		}
	case "distribution":
		d.Dist, err = r.Distribution(p)
	}
	s.reportChoices(&d)
	return d, err
}

// reportChoices fills the filter lists: every queue and agent the board or the
// buckets know, and the sources.
func (s *Server) reportChoices(d *views.ReportData) {
	r := s.reports()
	for _, kind := range []byte{report.KindQueue, report.KindAgent} {
		ids, _ := s.store.BucketIDs(kind)
		ids = append(ids, r.Known(kind)...)
		if kind == report.KindAgent {
			s.board.read(func(b *live.Board) {
				for _, a := range b.Agents() {
					ids = append(ids, a.ID)
				}
			})
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if kind == report.KindQueue {
			d.QueueIDs = ids
		} else {
			d.AgentIDs = ids
		}
	}
	d.QueueNames = map[string]string{}
	for _, id := range d.QueueIDs {
		d.QueueNames[id] = r.Name(report.KindQueue, id)
	}
	for _, src := range s.cfg().Sources {
		d.Sources = append(d.Sources, src.Name)
	}
}

func (s *Server) pageReports(c *fiber.Ctx) error {
	sess := sessionOf(c)
	if s.reportsBuilding() {
		return s.errorPage(c, sess, fiber.StatusServiceUnavailable, "error_reports_building")
	}
	d, err := s.reportData(reportForm(c), localeOf(c).Zone)
	if err != nil {
		s.log.Error("report failed", "err", err)
		return s.errorPage(c, sess, fiber.StatusServiceUnavailable, "error_store")
	}
	return renderPage(c, fiber.StatusOK, views.Reports(s.pageOf(c, sess, "nav_reports", ""), d))
}

// pageReportsCSV exports one table of the page (?table=) for the same form.
func (s *Server) pageReportsCSV(c *fiber.Ctx) error {
	f := reportForm(c)
	table := c.Query("table")
	switch table {
	case "queues", "queues_by":
		f.View = "queues"
	case "agents", "agents_by":
		f.View = "agents"
	case "heat", "wait", "talk":
		f.View = "distribution"
	default:
		return plain(c, fiber.StatusBadRequest, "err_report_table")
	}
	if s.reportsBuilding() {
		return plain(c, fiber.StatusServiceUnavailable, "error_reports_building")
	}
	d, err := s.reportData(f, localeOf(c).Zone)
	if err != nil {
		return plain(c, fiber.StatusServiceUnavailable, "err_store")
	}
	rows := views.ReportCSV(d, table)
	for _, row := range rows[1:] {
		for i := range row {
			row[i] = cell(row[i])
		}
	}
	name := "ringside-" + table + "-" + d.From.Format("20060102") + "-" + d.To.AddDate(0, 0, -1).Format("20060102") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+url.PathEscape(name)+`"`)
	return writeCSV(c, rows)
}

func writeCSV(c *fiber.Ctx, rows [][]string) error {
	w := csv.NewWriter(c.Response().BodyWriter())
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return w.Error()
}
