package views

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The calls chart is one drawing for three places: today by hour on the wallboard (the
// desk's and the TV's) and a report's period by hour or day. Each place passes a box
// (the size it is drawn at and where its labels sit) and its slots; layoutChart places
// them and barChart (chart.templ) draws them: answered and abandoned calls stacked per
// slot on the left axis, the service level line on the right one (0-100%) and, where
// there is one, the target line. The layout runs left to right: right-to-left pages
// mirror the drawing in CSS (app.css) and turn its labels back.

// chartBox is where a chart draws: its viewBox, the margins for the axes' labels, and
// how the labels sit at the font size CSS gives them.
type chartBox struct {
	W, H, L, R, T, B float64
	LabelGap         float64 // the least room between two slot labels
	TickDrop         float64 // an axis label's baseline below its tick: a third of the font size centres it
	LabelRise        float64 // the slot labels' baseline above the bottom edge
	Dot              float64 // the service level dots' radius
	Caption          bool    // the target line is captioned ("SL target 80%")
	Class            string  // the drawing's class: which screens show it
}

// deskChart is the wide chart of the wallboard on a desk, its labels at 12 units.
var deskChart = chartBox{W: 960, H: 300, L: 48, R: 52, T: 18, B: 34, LabelGap: 34,
	TickDrop: 4, LabelRise: 12, Dot: 3.5, Caption: true, Class: "desk-only"}

// tvChartBox is the TV's chart: drawn near the size it is shown at on a 1080p wall
// screen (a fifth of the width), so its 26-unit labels are about 26 px there and scale
// with the screen; hour labels keep 56 units apart, and the dashed line and the legend
// tell the target without a caption.
var tvChartBox = chartBox{W: 440, H: 230, L: 52, R: 70, T: 14, B: 38, LabelGap: 56,
	TickDrop: 9, LabelRise: 8, Dot: 5, Class: "tv-chart tv-only"}

// reportChartBox is the desk chart for a report's period: a day's date needs more room
// than an hour.
var reportChartBox = chartBox{W: 960, H: 300, L: 48, R: 52, T: 18, B: 34, LabelGap: 40,
	TickDrop: 4, LabelRise: 12, Dot: 3.5}

func (b chartBox) plotW() float64 { return b.W - b.L - b.R }
func (b chartBox) plotH() float64 { return b.H - b.T - b.B }

// y is the height of a fraction of the plot (0 at the base line, 1 at the top).
func (b chartBox) y(frac float64) float64 { return b.H - b.B - b.plotH()*frac }

const (
	chartBarGap   = 0.28 // fraction of a slot left empty
	chartMinHours = 12
	noTarget      = -1.0 // layoutChart's target when there is no target line
)

// chartSlot is one bar: an hour or a day, its texts already in the person's language.
type chartSlot struct {
	Label, Title                 string // under the bar, and its hover text
	Offered, Answered, Abandoned int
	SLPct                        float64
	Counted                      bool // calls counted for the service level: a point on its line
}

type chartBar struct {
	X, W, YAns, HAns, YAb, HAb, LabelX float64
	Label, Title                       string
}

type chartTick struct {
	Y     float64
	Label string
}

type chartModel struct {
	Box             chartBox
	Aria, EmptyText string // what a screen reader says of the chart, and what a chart without calls says
	Bars            []chartBar
	Ticks, SLTicks  []chartTick
	Line            string // SL polyline points
	Dots            [][2]float64
	HasTarget       bool
	TargetY         float64
	Target          string // the target line's caption, "" for none
	Empty           bool
}

// hourChart is today's calls per hour and service level against the red threshold.
func hourChart(ctx context.Context, box chartBox, hours []HourPoint, th Thresholds) chartModel {
	m := layoutChart(ctx, box, hourSlots(ctx, hours), th.orDefault().RedSLPct)
	m.Aria, m.EmptyText = t(ctx, "chart_aria"), t(ctx, "chart_empty")
	return m
}

// hourSlots are today's hours in order. Leading hours without a call are noise: they
// start at the first busy hour, but keep at least chartMinHours so one busy hour is a
// bar, not the whole chart.
func hourSlots(ctx context.Context, hours []HourPoint) []chartSlot {
	l := loc(ctx)
	h := sortedHours(hours)
	for len(h) > chartMinHours && h[0].Offered+h[0].Answered+h[0].Abandoned == 0 {
		h = h[1:]
	}
	slots := make([]chartSlot, 0, len(h))
	for _, p := range h {
		s := chartSlot{Label: l.Digits(fmt.Sprintf("%02d", p.Hour)),
			Offered: p.Offered, Answered: p.Answered, Abandoned: p.Abandoned, SLPct: p.SLPct, Counted: p.Answered+p.Abandoned > 0,
			Title: l.T("chart_bar_title", "From", l.Digits(fmt.Sprintf("%02d:00", p.Hour)), "To", l.Digits(fmt.Sprintf("%02d:00", (p.Hour+1)%24)),
				"Offered", p.Offered, "Answered", p.Answered, "Abandoned", p.Abandoned)}
		if s.Counted {
			s.Title += l.T("chart_bar_sl", "SL", l.Percent(math.Round(p.SLPct)))
		}
		slots = append(slots, s)
	}
	return slots
}

// layoutChart places slots in a box: the calls axis rounded up from the busiest slot,
// the service level axis, and the target line at target percent (noTarget: none).
func layoutChart(ctx context.Context, box chartBox, slots []chartSlot, target float64) chartModel {
	l := loc(ctx)
	m := chartModel{Box: box, Empty: true}
	peak := 0
	for _, s := range slots {
		peak = max(peak, s.Answered+s.Abandoned)
		if s.Offered+s.Answered+s.Abandoned > 0 {
			m.Empty = false
		}
	}
	top, steps := niceMax(peak)
	for i := 0; i <= steps; i++ {
		v := top * i / steps
		m.Ticks = append(m.Ticks, chartTick{Y: box.y(float64(v) / float64(top)), Label: l.Num(v)})
	}
	for _, v := range []int{0, 25, 50, 75, 100} {
		m.SLTicks = append(m.SLTicks, chartTick{Y: box.y(float64(v) / 100), Label: l.Percent(float64(v))})
	}
	if target != noTarget {
		m.HasTarget, m.TargetY = true, box.y(target/100)
		if box.Caption {
			m.Target = t(ctx, "chart_sl_target", "Target", pctText(ctx, target))
		}
	}
	m.placeBars(slots, top)
	return m
}

// placeBars spreads the slots over the plot, a label under every slot that has room
// for one, and draws the service level line through the slots that counted calls.
func (m *chartModel) placeBars(slots []chartSlot, top int) {
	if len(slots) == 0 {
		return
	}
	b := m.Box
	slot := b.plotW() / float64(len(slots))
	every := 1
	for float64(every)*slot < b.LabelGap {
		every++
	}
	var pts []string
	for i, s := range slots {
		x := b.L + slot*float64(i)
		w := slot * (1 - chartBarGap)
		ha := b.plotH() * float64(s.Answered) / float64(top)
		hb := b.plotH() * float64(s.Abandoned) / float64(top)
		base := b.y(0)
		bar := chartBar{X: x + (slot-w)/2, W: w, YAns: base - ha, HAns: ha, YAb: base - ha - hb, HAb: hb, LabelX: x + slot/2, Title: s.Title}
		if i%every == 0 {
			bar.Label = s.Label
		}
		if s.Counted {
			y := b.y(math.Max(0, math.Min(100, s.SLPct)) / 100)
			pts = append(pts, f1(x+slot/2)+","+f1(y))
			m.Dots = append(m.Dots, [2]float64{x + slot/2, y})
		}
		m.Bars = append(m.Bars, bar)
	}
	m.Line = strings.Join(pts, " ")
}

// niceMax rounds a maximum up to a round number that splits into 3 to 5 round ticks.
func niceMax(v int) (top, steps int) {
	if v <= 4 {
		return 4, 4
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(v))))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		n := int(math.Round(m * p))
		if n < v {
			continue
		}
		for _, k := range []int{4, 5, 3} {
			if n%k == 0 && roundStep(n/k) {
				return n, k
			}
		}
	}
	return v, 1
}

// roundStep says whether a tick step is 1, 1.5, 2, 2.5, 3 or 5 × 10^k.
func roundStep(s int) bool {
	for s >= 10 && s%10 == 0 {
		s /= 10
	}
	switch s {
	case 1, 2, 3, 5, 15, 25:
		return true
	}
	return false
}

func f1(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }
