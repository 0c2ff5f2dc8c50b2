package views

import (
	"context"
	"slices"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/views/i18n"
)

func TestBinLabels(t *testing.T) {
	en := context.Background()
	got := binLabels(en, call.WaitBins[:])
	want := []string{"< 10 s", "10–20 s", "20–30 s", "30 s–1 min", "1–2 min", "2–5 min", "5 min+"}
	if !slices.Equal(got, want) {
		t.Errorf("wait bins %q, want %q", got, want)
	}
	got = binLabels(en, call.TalkBins[:])
	want = []string{"< 30 s", "30 s–1 min", "1–2 min", "2–5 min", "5–10 min", "10–20 min", "20 min+"}
	if !slices.Equal(got, want) {
		t.Errorf("talk bins %q, want %q", got, want)
	}
	fa := i18n.With(en, i18n.New("fa", time.UTC))
	if got := binLabels(fa, call.WaitBins[:]); got[0] != "کمتر از ۱۰ ث" || got[6] != "۵ دقیقه و بیشتر" {
		t.Errorf("Persian wait bins %q", got)
	}
}

func TestDuration(t *testing.T) {
	en := context.Background()
	for s, want := range map[float64]string{0: "0 s", 16.5: "16.5 s", 60: "1:00", 121: "2:01", 3600: "1:00:00", 200 * 3600: "200:00:00"} {
		if got := duration(en, s); got != want {
			t.Errorf("duration(%v) = %q, want %q", s, got, want)
		}
	}
	cs := i18n.With(en, i18n.New("cs", time.UTC))
	fa := i18n.With(en, i18n.New("fa", time.UTC))
	for _, c := range []struct {
		ctx  context.Context
		s    float64
		want string
	}{{cs, 16.5, "16,5 s"}, {fa, 16.5, "۱۶٫۵ ث"}, {fa, 121, "۲:۰۱"}} {
		if got := duration(c.ctx, c.s); got != c.want {
			t.Errorf("duration(%v) = %q, want %q", c.s, got, c.want)
		}
	}
	if got := pctText(cs, 87.5); got != "87,5\u00a0%" {
		t.Errorf("Czech percentage %q, want 87,5 %%", got)
	}
}

// The period chart is the wallboard's drawing over a report's days: a slot a day
// (empty days too), short abandoned calls stacked with the abandoned, no target line.
func TestPeriodChart(t *testing.T) {
	en := context.Background()
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	d := ReportData{Form: ReportForm{By: call.GroupDay}, From: from, To: from.AddDate(0, 0, 7),
		Pooled: []call.QueueRow{{Period: from.AddDate(0, 0, 2).Format(time.RFC3339), Offered: 12, Answered: 8, Abandoned: 3, ShortAbandoned: 1, ServiceLevelPct: 87.5}}}
	m := periodChart(en, reportChartBox, d)
	if len(m.Bars) != 7 || m.Empty || m.HasTarget || len(m.Dots) != 1 {
		t.Fatalf("%d bars, empty=%v, target=%v, %d SL points; want 7 days, one with calls and an SL point, no target", len(m.Bars), m.Empty, m.HasTarget, len(m.Dots))
	}
	if b := m.Bars[2]; b.HAb*2 < b.HAns-0.01 || b.HAb*2 > b.HAns+0.01 || b.YAb < reportChartBox.T-0.01 || b.YAb > reportChartBox.T+0.01 {
		t.Errorf("the busy day: answered %.1f, abandoned with short %.1f (want half), top %.1f (want the plot's top)", b.HAns, b.HAb, b.YAb)
	}
	if want := "Wed 4 Nov · 12 offered · 8 answered · 4 abandoned · SL 87.5%"; m.Bars[2].Title != want {
		t.Errorf("the busy day's hover %q, want %q", m.Bars[2].Title, want)
	}
	fa := i18n.With(en, i18n.New("fa", time.UTC))
	d.Pooled = nil
	if m := periodChart(fa, reportChartBox, d); !m.Empty || m.EmptyText != "در این بازه تماسی نیست" || m.Ticks[1].Label != "۱" {
		t.Errorf("an empty Persian period: empty=%v %q, tick %q", m.Empty, m.EmptyText, m.Ticks[1].Label)
	}
}
