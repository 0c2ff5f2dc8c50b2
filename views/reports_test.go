package views

import (
	"slices"
	"testing"

	"ringside/server/report"
)

func TestBinLabels(t *testing.T) {
	got := binLabels(report.WaitBins[:])
	want := []string{"< 10 s", "10–20 s", "20–30 s", "30 s–1 min", "1–2 min", "2–5 min", "5 min+"}
	if !slices.Equal(got, want) {
		t.Errorf("wait bins %q, want %q", got, want)
	}
	got = binLabels(report.TalkBins[:])
	want = []string{"< 30 s", "30 s–1 min", "1–2 min", "2–5 min", "5–10 min", "10–20 min", "20 min+"}
	if !slices.Equal(got, want) {
		t.Errorf("talk bins %q, want %q", got, want)
	}
}

func TestDuration(t *testing.T) {
	for s, want := range map[float64]string{0: "0 s", 16.5: "16.5 s", 60: "1:00", 121: "2:01", 3600: "1:00:00", 200 * 3600: "200:00:00"} {
		if got := duration(s); got != want {
			t.Errorf("duration(%v) = %q, want %q", s, got, want)
		}
	}
}
