package server

import (
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/store"
)

// Vendor clocks clamped. A PBX whose clock is wrong (a year ahead, a month behind)
// dates its events far from when they arrive: a call dated a year ahead would never
// expire and would wait in its queue forever, one dated 30 days back would show a
// wait of 2.6 million seconds. So where events enter the board, an event whose
// vendor time At is more than clock_tolerance (default 10 minutes) from its receive
// time has all its vendor times moved by the same amount, so that At is the receive
// time: durations within the event stay as the vendor reported them. The log keeps
// the vendor's times (the API's events and the call card's timeline show them), and a
// replay clamps the same way, since the receive time is logged with each event.
//
// A final call record dated in the past is left as it is: a record delivered late
// (a retry, a backfill) is a finished call whose times are its truth, and it ends the
// call at once, so it cannot leave anything waiting. One dated in the future is
// clamped like any event.
//
// Each clamp is an offset sample for the source's clock check (clockwatch.go), so the
// settings page names a source whose clock is wrong.

// clampClock returns e with its vendor times moved to lie within tol of its receive
// time, and the offset it removed (0: e is unchanged).
func clampClock(e call.Event, tol time.Duration) (call.Event, time.Duration) {
	if e.ReceivedAt.IsZero() || e.At.IsZero() || tol <= 0 {
		return e, 0
	}
	off := e.At.Sub(e.ReceivedAt)
	if off <= tol && off >= -tol {
		return e, 0
	}
	if off < 0 && e.Type == call.CallRecord {
		return e, 0
	}
	e = e.WithTimes(func(t time.Time) time.Time { return t.Add(-off) })
	return e, off
}

// clamp is clampClock at the board's tolerance, telling the clock check of a clamp.
func (b *board) clamp(e call.Event) call.Event {
	e, off := clampClock(e, b.cfg.ClockTolerance.Duration)
	if off != 0 && b.clocks != nil {
		var loc *time.Location
		if src, ok := b.cfg.Source(e.Source); ok {
			loc = src.Location
		}
		b.clocks.clamped(b.log, e.Source, loc, off, e.ReceivedAt)
	}
	return e
}

// readFromLog lets the board read events back from the log, clamped as they were when
// first applied: a settled call's (a late event reloads it) and those a snapshot names
// by seq.
func readFromLog(lc *live.Config, st *store.Store, cfg *config.Config) {
	lc.CallEvents = func(id string) ([]call.Event, error) {
		evs, err := st.CallEvents(id)
		for i := range evs {
			evs[i], _ = clampClock(evs[i], cfg.ClockTolerance.Duration)
		}
		return evs, err
	}
	lc.EventsAt = func(seqs []uint64) (map[uint64]call.Event, error) {
		evs, err := st.EventsAt(seqs)
		for seq, e := range evs {
			evs[seq], _ = clampClock(e, cfg.ClockTolerance.Duration)
		}
		return evs, err
	}
}
