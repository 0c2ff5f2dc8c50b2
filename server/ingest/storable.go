package ingest

import (
	"fmt"
	"math"
	"time"

	"ringside/server/call"
)

// A decoded delivery must be storable as it is: the store writes every event as JSON,
// keys the log and the CDR indexes by its ids and orders CDRs by its times in
// nanoseconds. A value that would break one of these (NaN, a time in the year 20000, a
// call id of a megabyte) makes the delivery undecodable: a 400 with the body kept, never
// a 503 that the vendor would retry forever.

// MaxID bounds an identifier (call, agent, queue): vendor ids are short, and the store
// keys indexes by them.
const MaxID = 256

// storable times are those a time.Time holds as Unix nanoseconds (1678–2262).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// checkStorable says why res cannot be stored as decoded, or nil.
func checkStorable(res Result) error {
	for i := range res.Events {
		if err := eventStorable(&res.Events[i]); err != nil {
			return fmt.Errorf("%w: event %d (%s): %v", ErrUndecodable, i, res.Events[i].Name, err)
		}
	}
	if len(res.Key) > 4*MaxID || len(res.Stream) > 4*MaxID {
		return fmt.Errorf("%w: the delivery key is longer than %d bytes", ErrUndecodable, 4*MaxID)
	}
	return nil
}

func eventStorable(e *call.Event) error {
	ids := []named[string]{{"call", e.Call}, {"agent", e.Agent}, {"queue", e.Queue},
		{"transfer_from", e.TransferFrom}, {"transfer_to", e.TransferTo}}
	times := []named[*time.Time]{{"time", &e.At}, {"received_at", &e.ReceivedAt},
		{"started_at", e.StartedAt}, {"answered_at", e.AnsweredAt}, {"ended_at", e.EndedAt}}
	nums := []named[*float64]{{"wait_s", e.WaitS}, {"talk_s", e.TalkS}, {"duration_s", e.DurationS}}
	for i, a := range e.AgentAliases {
		ids = append(ids, named[string]{fmt.Sprintf("agent alias %d", i), a})
	}
	for i, l := range e.Legs {
		leg := fmt.Sprintf("leg %d ", i)
		ids = append(ids, named[string]{leg + "agent", l.Agent})
		times = append(times, named[*time.Time]{leg + "started_at", l.StartedAt}, named[*time.Time]{leg + "ended_at", l.EndedAt})
		nums = append(nums, named[*float64]{leg + "talk_s", l.TalkS})
	}
	for _, id := range ids {
		if len(id.v) > MaxID {
			return fmt.Errorf("%s id is longer than %d bytes", id.name, MaxID)
		}
	}
	for _, t := range times {
		if t.v != nil && !t.v.IsZero() && (t.v.Before(minTime) || t.v.After(maxTime)) {
			return fmt.Errorf("%s %s is outside the years 1678–2262", t.name, t.v.Format(time.RFC3339))
		}
	}
	for _, n := range nums {
		if n.v != nil && (math.IsNaN(*n.v) || math.IsInf(*n.v, 0)) {
			return fmt.Errorf("%s is %v, not a number of seconds", n.name, *n.v)
		}
	}
	return nil
}

// named is a value with the name an error message gives it.
type named[T any] struct {
	name string
	v    T
}
