package views

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"ringside/server/call"
)

// periodChart is the pooled queues by period: calls per hour or day of the period
// (empty slots included) and the service level, without a target line (queues differ).
func periodChart(ctx context.Context, box chartBox, d ReportData) chartModel {
	m := layoutChart(ctx, box, periodSlots(ctx, d), noTarget)
	m.Aria, m.EmptyText = t(ctx, "rp_chart_aria"), t(ctx, "rp_no_calls_chart")
	return m
}

// periodSlots are the period's hours or days; short abandoned calls stack with the
// abandoned ones.
func periodSlots(ctx context.Context, d ReportData) []chartSlot {
	l := loc(ctx)
	byStart := map[string]call.QueueRow{}
	for _, r := range d.Pooled {
		byStart[r.Period] = r
	}
	var slots []chartSlot
	for at := d.From; at.Before(d.To) && len(slots) < 24*maxChartDays; {
		r := byStart[at.Format(time.RFC3339)]
		label, when := l.Date(at, false), shortDay(ctx, at, false)
		if d.Form.By == call.GroupHour {
			label, when = l.Digits(at.In(l.Zone).Format("15")), t(ctx, "fmt_date_time", "Date", when, "Time", l.Clock(at, false))
		}
		s := chartSlot{Label: label, Offered: int(r.Offered), Answered: int(r.Answered), Abandoned: int(r.Abandoned + r.ShortAbandoned),
			SLPct: r.ServiceLevelPct, Counted: r.Answered+r.Abandoned > 0}
		s.Title = t(ctx, "rp_bar_title", "When", when, "Offered", s.Offered, "Answered", s.Answered, "Abandoned", s.Abandoned)
		if s.Counted {
			s.Title += t(ctx, "chart_bar_sl", "SL", pctText(ctx, r.ServiceLevelPct))
		}
		slots = append(slots, s)
		if d.Form.By == call.GroupHour {
			at = at.Add(time.Hour)
		} else {
			at = at.AddDate(0, 0, 1)
		}
	}
	return slots
}

// maxChartDays bounds the slots of the period chart (by hour: this many days).
const maxChartDays = 62

// timeBar is one agent's logged-in time split: talking, available, paused.
type timeBar struct {
	Y                            float64
	Name, Title                  string
	XTalk, WTalk, XAvail, WAvail float64
	XPause, WPause               float64
}

type timeChart struct {
	Bars   []timeBar
	Ticks  []chartTick // X positions (Y holds the x) with hour labels
	Height float64
}

const (
	tcLabelW = 170.0
	tcRowH   = 28.0
	tcW      = 960.0
)

// agentTimeChart draws each agent's logged-in time: talk, available, paused.
func agentTimeChart(ctx context.Context, rows []call.AgentRow) timeChart {
	var c timeChart
	peak := 0.0
	for _, r := range rows {
		peak = math.Max(peak, math.Max(r.LoggedInS, r.TalkS))
	}
	hours := int(math.Ceil(peak / 3600))
	top, steps := niceMax(max(hours, 1))
	scale := (tcW - tcLabelW - 20) / float64(top*3600)
	for i := 0; i <= steps; i++ {
		v := top * i / steps
		c.Ticks = append(c.Ticks, chartTick{Y: tcLabelW + float64(v*3600)*scale, Label: t(ctx, "u_hours", "N", figure(ctx, v))})
	}
	for i, r := range rows {
		paused := pausedTotal(r)
		talk := r.TalkS // shown even without presence events (vendors that send none)
		b := timeBar{Y: 10 + float64(i)*tcRowH, Name: r.Name,
			Title: t(ctx, "rp_agent_bar_title", "Name", r.Name, "LoggedIn", duration(ctx, r.LoggedInS),
				"Talk", duration(ctx, r.TalkS), "Available", duration(ctx, r.AvailableS), "Paused", duration(ctx, paused))}
		b.XTalk, b.WTalk = tcLabelW, talk*scale
		b.XAvail, b.WAvail = b.XTalk+b.WTalk, r.AvailableS*scale
		b.XPause, b.WPause = b.XAvail+b.WAvail, paused*scale
		c.Bars = append(c.Bars, b)
	}
	c.Height = 10 + float64(len(rows))*tcRowH + 24
	return c
}

// heatCell is one weekday × hour of the heat map.
type heatCell struct {
	X, Y    float64
	Opacity string
	Title   string
}

const (
	hmLabelW = 48.0
	hmCell   = 36.0
	hmTop    = 22.0
)

func heatCells(ctx context.Context, dist call.Distribution) []heatCell {
	var out []heatCell
	// Monday first, as people plan their weeks.
	for row, wd := range []int{1, 2, 3, 4, 5, 6, 0} {
		for h := range 24 {
			v := dist.Heat[wd][h]
			op := 0.0
			if dist.MaxHeat > 0 {
				op = 0.08 + 0.92*float64(v)/float64(dist.MaxHeat)
			}
			if v == 0 {
				op = 0
			}
			out = append(out, heatCell{X: hmLabelW + float64(h)*hmCell, Y: hmTop + float64(row)*hmCell,
				Opacity: f1(op*100) + "%", Title: tn(ctx, "rp_heat_cell", int(v), "Weekday", t(ctx, "wd_short_"+strconv.Itoa(wd)),
					"From", digits(ctx, fmt.Sprintf("%02d:00", h)), "To", digits(ctx, fmt.Sprintf("%02d:00", (h+1)%24)))})
		}
	}
	return out
}

// heatRows are the heat map's weekdays (time.Weekday), Monday first.
var heatRows = []int{1, 2, 3, 4, 5, 6, 0}

// histBar is one bin of a distribution.
type histBar struct {
	X, Y, W, H   float64
	Label, Count string
	Title        string
}

// histogram lays out a distribution's bins on a 460×220 chart.
func histogram(ctx context.Context, bins [7]int64, bounds []float64, what string) []histBar {
	peak := int64(1)
	for _, v := range bins {
		peak = max(peak, v)
	}
	labels := binLabels(ctx, bounds)
	var out []histBar
	slot := 420.0 / float64(len(bins))
	for i, v := range bins {
		h := 150 * float64(v) / float64(peak)
		out = append(out, histBar{X: 30 + slot*float64(i) + slot*0.14, W: slot * 0.72, Y: 180 - h, H: h,
			Label: labels[i], Count: n64(ctx, v), Title: tn(ctx, what, int(v), "Bin", labels[i])})
	}
	return out
}
