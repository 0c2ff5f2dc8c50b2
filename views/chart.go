package views

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The chart is drawn on a fixed viewBox and scales with CSS.
const (
	chartW, chartH         = 960.0, 300.0
	chartL, chartR         = 48.0, 52.0 // room for the two axes' labels
	chartT, chartB         = 18.0, 34.0
	plotW, plotH           = chartW - chartL - chartR, chartH - chartT - chartB
	chartBarGap    float64 = 0.28 // fraction of a slot left empty
	chartMinHours          = 12
)

type chartBar struct {
	X, W, YAns, HAns, YAb, HAb, LabelX float64
	Label, Title                       string
}

type chartTick struct {
	Y     float64
	Label string
}

type chartModel struct {
	Bars           []chartBar
	Ticks, SLTicks []chartTick
	Line           string // SL polyline points
	Dots           [][2]float64
	TargetY        float64
	Target         string
	Empty          bool
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

// chartBox is where a chart draws: its viewBox, the margins for the axes' labels, and
// the least room between two hour labels.
type chartBox struct {
	W, H, L, R, T, B float64
	LabelGap         float64
}

// deskChart is the wide chart of the desk pages.
var deskChart = chartBox{W: chartW, H: chartH, L: chartL, R: chartR, T: chartT, B: chartB, LabelGap: 34}

// buildChart lays out calls per hour (answered and abandoned stacked) and the
// service level line through the day.
func buildChart(hours []HourPoint, th Thresholds) chartModel {
	return buildChartIn(deskChart, hours, th)
}

// buildChartIn lays the chart out in a box.
func buildChartIn(box chartBox, hours []HourPoint, th Thresholds) chartModel {
	plotW, plotH := box.W-box.L-box.R, box.H-box.T-box.B
	chartL, chartT := box.L, box.T
	th = th.orDefault()
	h := sortedHours(hours)
	// Leading hours without a call are noise: start at the first busy hour, but show
	// at least chartMinHours so one busy hour is a bar, not the whole chart.
	for len(h) > chartMinHours && h[0].Offered+h[0].Answered+h[0].Abandoned == 0 {
		h = h[1:]
	}
	m := chartModel{Empty: true}
	peak := 0
	for _, p := range h {
		if n := p.Answered + p.Abandoned; n > peak {
			peak = n
		}
		if p.Offered+p.Answered+p.Abandoned > 0 {
			m.Empty = false
		}
	}
	top, steps := niceMax(peak)
	for i := 0; i <= steps; i++ {
		v := top * i / steps
		y := chartT + plotH - plotH*float64(v)/float64(top)
		m.Ticks = append(m.Ticks, chartTick{Y: y, Label: strconv.Itoa(v)})
	}
	for _, v := range []int{0, 25, 50, 75, 100} {
		m.SLTicks = append(m.SLTicks, chartTick{Y: chartT + plotH - plotH*float64(v)/100, Label: strconv.Itoa(v) + "%"})
	}
	m.TargetY = chartT + plotH - plotH*th.RedSLPct/100
	m.Target = f1(th.RedSLPct) + "%"
	if len(h) == 0 {
		return m
	}
	slot := plotW / float64(len(h))
	every := 1
	for float64(every)*slot < box.LabelGap {
		every++
	}
	var pts []string
	for i, p := range h {
		x := chartL + slot*float64(i)
		w := slot * (1 - chartBarGap)
		bx := x + (slot-w)/2
		ha := plotH * float64(p.Answered) / float64(top)
		hb := plotH * float64(p.Abandoned) / float64(top)
		base := chartT + plotH
		b := chartBar{X: bx, W: w, YAns: base - ha, HAns: ha, YAb: base - ha - hb, HAb: hb, LabelX: x + slot/2,
			Title: fmt.Sprintf("%02d:00–%02d:00 · %d offered · %d answered · %d abandoned", p.Hour, (p.Hour+1)%24, p.Offered, p.Answered, p.Abandoned)}
		if i%every == 0 {
			b.Label = fmt.Sprintf("%02d", p.Hour)
		}
		if p.Answered+p.Abandoned > 0 {
			b.Title += fmt.Sprintf(" · SL %.0f%%", p.SLPct)
			y := chartT + plotH - plotH*math.Max(0, math.Min(100, p.SLPct))/100
			pts = append(pts, f1(x+slot/2)+","+f1(y))
			m.Dots = append(m.Dots, [2]float64{x + slot/2, y})
		}
		m.Bars = append(m.Bars, b)
	}
	m.Line = strings.Join(pts, " ")
	return m
}
