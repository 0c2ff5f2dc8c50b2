package server

import (
	"context"
	"strconv"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/live"
	"ringside/store"
)

// openCalls keeps each source within its max_open_calls: a source that never sends
// hangups (or an attacker with its credentials) could otherwise fill the board, the
// wallboard frame and every socket with calls that never end. The oldest calls over
// the cap are ended by CallExpired events appended to the log, like the time-based
// expiry, so a replay of the log ends the same calls.
type openCalls struct {
	pending map[string]bool // calls whose expiry is appended but not applied yet
}

func newOpenCalls() openCalls { return openCalls{pending: map[string]bool{}} }

// openCallCaps is max_open_calls by source (read at each batch: a reload may change it).
func openCallCaps(cfg *config.Config) map[string]int {
	caps := make(map[string]int, len(cfg.Sources))
	for _, s := range cfg.Sources {
		caps[s.Name] = s.MaxOpenCalls
	}
	return caps
}

// capOpenCalls runs on the board's goroutine after a batch is applied, once the log
// present at start is (during the replay, the logged expiries are still to come).
func (b *board) capOpenCalls(now time.Time) {
	select {
	case <-b.ready:
	default:
		return
	}
	var evs []call.Event
	caps := openCallCaps(b.cfg)
	b.read(func(lb *live.Board) {
		for id := range b.open.pending {
			if !lb.Open(id) {
				delete(b.open.pending, id)
			}
		}
		evs = lb.OverCap(caps, b.open.pending, now)
	})
	bySource := map[string][]call.Event{}
	for _, e := range evs {
		b.open.pending[e.Call] = true
		bySource[e.Source] = append(bySource[e.Source], e)
	}
	for src, evs := range bySource {
		b.log.Warn("source over max_open_calls: its oldest open calls expired", "source", src,
			"expired", len(evs), "max_open_calls", caps[src])
		d := store.Delivery{Source: src, Method: "TIMER", Path: "/expire/max_open_calls", ReceivedAt: now,
			Key: "open-calls:" + evs[0].Call + ":" + strconv.FormatInt(now.UnixNano(), 10)}
		if _, err := b.st.Append(context.Background(), d, evs); err != nil {
			b.log.Error("appending expiry failed", "source", src, "err", err)
		}
	}
}
