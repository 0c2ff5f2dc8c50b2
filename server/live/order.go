package live

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

// rank orders events of the same instant in their causal order.
var rank = map[call.Type]int{
	call.CallOffered:       0,
	call.LegRinging:        1,
	call.CallAnswered:      2,
	call.CallTransferred:   3,
	call.TransferCancelled: 4,
	call.LegEnded:          5,
	call.AgentLogin:        6,
	call.AgentUnpaused:     7,
	call.AgentState:        8,
	call.AgentPaused:       9,
	call.AgentLogout:       10,
	call.CallEnded:         11,
	call.CallRecord:        12,
	call.CallExpired:       13,
	call.CallRated:         14,
}

func rankOf(t call.Type) int {
	if r, ok := rank[t]; ok {
		return r
	}
	return 99
}

// normalize makes an event canonical: UTC times at millisecond precision (what the API
// shows), no log position or receive time (a retry is the same fact), a missing event
// time taken from the receive time.
func normalize(e call.Event) call.Event {
	if e.At.IsZero() {
		e.At = e.ReceivedAt
	}
	e.Seq, e.ReceivedAt = 0, time.Time{}
	return e.WithTimes(ms)
}

func ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// eventKey is an event's identity: two events with the same key are the same fact.
func eventKey(e *call.Event) string {
	b, err := json.Marshal(e)
	if err != nil {
		return ""
	}
	return string(b)
}

// compareEvents is the canonical total order of distinct events: time, causal rank, identity.
func compareEvents(a, b *call.Event) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	if ra, rb := rankOf(a.Type), rankOf(b.Type); ra != rb {
		return ra - rb
	}
	return strings.Compare(eventKey(a), eventKey(b))
}

// stored is an event of a call with its identity key, computed only when needed, and
// its log position (0: not known), by which a snapshot names it (snapshot.go).
type stored struct {
	ev  call.Event
	key string
	seq uint64
}

func (s *stored) keyOf() string {
	if s.key == "" {
		s.key = eventKey(&s.ev)
	}
	return s.key
}

// insert adds e, logged at seq, to the sorted events unless the same fact is already
// there.
func insert(evs []stored, e call.Event, seq uint64) ([]stored, bool) {
	r := rankOf(e.Type)
	i := sort.Search(len(evs), func(i int) bool {
		x := &evs[i].ev
		if c := x.At.Compare(e.At); c != 0 {
			return c > 0
		}
		return rankOf(x.Type) >= r
	})
	key := "" // e's identity, computed only when another event has its time and rank
	for ; i < len(evs) && evs[i].ev.At.Equal(e.At) && rankOf(evs[i].ev.Type) == r; i++ {
		if key == "" {
			ev := e // a copy escapes to the heap here, not on every insert
			key = eventKey(&ev)
		}
		c := strings.Compare(evs[i].keyOf(), key)
		if c == 0 {
			return evs, false
		}
		if c > 0 {
			break
		}
	}
	evs = append(evs, stored{})
	copy(evs[i+1:], evs[i:])
	evs[i] = stored{ev: e, seq: seq, key: key}
	return evs, true
}
