package live

import (
	"sort"
	"time"

	"ringside/server/call"
)

// OverCap returns a CallExpired event for each of the oldest active calls of every
// source that holds more than its cap (caps: source → most open calls; a source not
// named has none). Calls in pending are already being expired: they count as open but
// are not chosen again. The caller appends the events to the log, so a replay of the
// log ends the same calls; applying one ends its call at its last event.
func (b *Board) OverCap(caps map[string]int, pending map[string]bool, now time.Time) []call.Event {
	least := -1
	for _, n := range caps {
		if least < 0 || n < least {
			least = n
		}
	}
	if least < 0 || len(b.active) <= least {
		return nil // no source can be over: the common case costs nothing
	}
	open := map[string]int{}
	chosen := map[string][]string{} // source → its open calls that may be chosen
	for id, ce := range b.active {
		src := ce.view.Source
		if _, capped := caps[src]; !capped {
			continue
		}
		open[src]++
		if !pending[id] {
			chosen[src] = append(chosen[src], id)
		}
	}
	var out []call.Event
	for _, src := range sortedKeys(open) {
		over := open[src] - caps[src] - (open[src] - len(chosen[src])) // minus those pending
		if over <= 0 {
			continue
		}
		ids := chosen[src]
		sort.Slice(ids, func(i, j int) bool {
			a, c := b.active[ids[i]], b.active[ids[j]]
			if !a.start.Equal(c.start) {
				return a.start.Before(c.start)
			}
			return ids[i] < ids[j]
		})
		for _, id := range ids[:min(over, len(ids))] {
			ce := b.active[id]
			out = append(out, call.Event{
				Source: src, Vendor: ce.view.Vendor, Name: "CallExpired", Type: call.CallExpired,
				Call: id, At: now, ReceivedAt: now, EndedAt: call.T(ce.lastAt),
				HangupReason: "expired: the source has more open calls than max_open_calls",
			})
		}
	}
	return out
}

// Open reports whether a call is active (shown and not ended).
func (b *Board) Open(id string) bool {
	_, ok := b.active[id]
	return ok
}
