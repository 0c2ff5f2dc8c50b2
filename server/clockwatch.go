package server

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"ringside/server/call"
	"ringside/views"
)

// Clock offsets. A PBX that writes times without a zone, read in the wrong zone, shifts
// every call by hours: "today", the chart and the CSV go wrong without an error. So for
// every source Ringside compares the vendor's end-of-call times with when the end
// reached it; when the median of the latest offsets is over clockTolerance, the log
// and the settings page say so and name a zone that would fit.
const (
	clockTolerance = 10 * time.Minute
	clockSamples   = 31 // offsets kept per source
	clockMinimum   = 5  // offsets needed before judging
)

type clockWatch struct {
	mu      sync.Mutex
	offsets map[string][]time.Duration // source → latest (vendor end − receive time)
	said    map[string]string          // source → the warning last logged
}

// observe notes the offsets of a delivery's end-of-call events and logs a warning
// when the source's judgement changes.
func (w *clockWatch) observe(log *slog.Logger, src string, loc *time.Location, evs []call.Event, received time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	added := false
	for _, e := range evs {
		if e.EndedAt == nil || (e.Type != call.CallEnded && e.Type != call.CallRecord) {
			continue
		}
		w.addLocked(src, e.EndedAt.Sub(received))
		added = true
	}
	if added {
		w.judgeLocked(log, src, loc, received)
	}
}

// clamped notes the offset of an event the board clamped (clockclamp.go): a source
// whose events keep being clamped is named on the settings page.
func (w *clockWatch) clamped(log *slog.Logger, src string, loc *time.Location, off time.Duration, received time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addLocked(src, off)
	w.judgeLocked(log, src, loc, received)
}

func (w *clockWatch) addLocked(src string, off time.Duration) {
	if w.offsets == nil {
		w.offsets, w.said = map[string][]time.Duration{}, map[string]string{}
	}
	o := append(w.offsets[src], off)
	if len(o) > clockSamples {
		o = o[len(o)-clockSamples:]
	}
	w.offsets[src] = o
}

// judgeLocked logs a change of the source's judgement.
func (w *clockWatch) judgeLocked(log *slog.Logger, src string, loc *time.Location, received time.Time) {
	if msg := w.warningLocked(src, loc, received); msg != w.said[src] {
		w.said[src] = msg
		if msg != "" {
			log.Warn(msg, "source", src)
		} else {
			log.Info("vendor times match the clock again", "source", src)
		}
	}
}

// skew is how far the source's times are from the clock, for the settings page;
// zero when they agree.
func (w *clockWatch) skew(src string, loc *time.Location, now time.Time) views.ClockSkew {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.skewLocked(src, loc, now)
}

func (w *clockWatch) skewLocked(src string, loc *time.Location, now time.Time) views.ClockSkew {
	o := w.offsets[src]
	if len(o) < clockMinimum {
		return views.ClockSkew{}
	}
	sorted := slices.Clone(o)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	if med > -clockTolerance && med < clockTolerance {
		return views.ClockSkew{}
	}
	// The PBX wrote local times that were read in loc: its own zone is loc's offset plus
	// the median offset, to the quarter hour.
	if loc == nil {
		loc = time.UTC
	}
	_, off := now.In(loc).Zone()
	want := time.Duration(off)*time.Second + med.Round(15*time.Minute)
	return views.ClockSkew{By: med, Zone: zoneWithOffset(now, want)}
}

// warning is the source's clock warning for the log, "" when its times agree with
// the clock.
func (w *clockWatch) warning(src string, loc *time.Location, now time.Time) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.warningLocked(src, loc, now)
}

func (w *clockWatch) warningLocked(src string, loc *time.Location, now time.Time) string {
	sk := w.skewLocked(src, loc, now)
	if sk.By == 0 {
		return ""
	}
	dir, d := "ahead of", sk.By
	if d < 0 {
		dir, d = "behind", -d
	}
	msg := fmt.Sprintf("times from %s run %s %s the clock", src, hoursMinutes(d), dir)
	if sk.Zone != "" {
		msg += fmt.Sprintf(": set timezone = %q", sk.Zone)
	}
	return msg
}

func hoursMinutes(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%dmin", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02d", h, m)
}

// knownZones are zones to suggest, one or more per UTC offset in use.
var knownZones = []string{
	"UTC", "Europe/London", "Europe/Prague", "Europe/Athens", "Europe/Minsk", "Europe/Moscow", "Asia/Tehran",
	"Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon",
	"Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney", "Pacific/Noumea",
	"Pacific/Auckland", "Atlantic/Azores", "Atlantic/South_Georgia", "America/Sao_Paulo", "America/St_Johns",
	"America/Halifax", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
}

// zoneWithOffset is the first known zone whose offset at t is off, "" if none.
func zoneWithOffset(t time.Time, off time.Duration) string {
	for _, loc := range knownLocations() {
		if _, o := t.In(loc).Zone(); time.Duration(o)*time.Second == off {
			return loc.String()
		}
	}
	return ""
}

// knownLocations are the known zones that load, read once: a skewed source is judged
// at every delivery that ends a call (and every clamped event), and time.LoadLocation
// reads the zone's file from disk each time.
var knownLocations = sync.OnceValue(func() []*time.Location {
	locs := make([]*time.Location, 0, len(knownZones))
	for _, name := range knownZones {
		if loc, err := time.LoadLocation(name); err == nil {
			locs = append(locs, loc)
		}
	}
	return locs
})
