package live

import (
	"math"
	"time"

	"ringside/server/call"
)

// The queue metrics, defined once. The tiles (Board.Queues), the summary strip and the
// API's pooled figures (Pool) and the hourly chart (Rules.Tally over stored CDRs) all
// count with Tally and derive with Tally.Counters, so the same calls give the same
// figures everywhere.
//
//   - offered: every call that entered the queue (inbound, or outbound placed from it);
//   - answered: an agent took it;
//   - abandoned: an inbound call that ended unanswered after waiting longer than the
//     queue's abandon_after_s (a call without a known wait counts as abandoned);
//   - short abandoned: one that ended unanswered within abandon_after_s; it counts
//     neither as abandoned nor against the service level;
//   - service level: answered within sl_threshold_s, over answered + abandoned;
//   - ASA: the answered calls' mean wait (the queue wait the PBX reports when it
//     reports one, else from arrival to answer);
//   - AHT: the mean talk time of the answered calls that have ended;
//   - longest wait: from the arrival of the oldest caller still waiting until now.
//
// Figures over several queues or hours are pooled from these counts (Tally.Add), never
// averaged from percentages.

// Tally holds the counts the metrics derive from. Times are integer milliseconds so
// adding and removing calls in any order gives exactly the same sums.
type Tally struct {
	Offered, Answered, Abandoned, ShortAbandoned int
	SLMet                                        int // answered within the threshold
	TalkN                                        int // answered, ended calls with a known talk time
	WaitMs, TalkMs                               int64
}

// Add adds (sign 1) or removes (sign -1) another tally.
func (t *Tally) Add(o Tally, sign int) {
	t.Offered += sign * o.Offered
	t.Answered += sign * o.Answered
	t.Abandoned += sign * o.Abandoned
	t.ShortAbandoned += sign * o.ShortAbandoned
	t.SLMet += sign * o.SLMet
	t.TalkN += sign * o.TalkN
	t.WaitMs += int64(sign) * o.WaitMs
	t.TalkMs += int64(sign) * o.TalkMs
}

// Counters derives the figures: percentages and means are rounded to one decimal.
func (t Tally) Counters() call.Counters {
	c := call.Counters{Offered: t.Offered, Answered: t.Answered, Abandoned: t.Abandoned,
		ShortAbandoned: t.ShortAbandoned, SLMet: t.SLMet, TalkN: t.TalkN,
		WaitTotalS: float64(t.WaitMs) / 1000, TalkTotalS: float64(t.TalkMs) / 1000}
	if base := t.Answered + t.Abandoned; base > 0 {
		c.ServiceLevelPct = round1(100 * float64(t.SLMet) / float64(base))
	}
	if t.Answered > 0 {
		c.ASAS = round1(float64(t.WaitMs) / 1000 / float64(t.Answered))
	}
	if t.TalkN > 0 {
		c.AHTS = round1(float64(t.TalkMs) / 1000 / float64(t.TalkN))
	}
	return c
}

// TallyOf takes counters (as the API gives them) back to their counts.
func TallyOf(c call.Counters) Tally {
	return Tally{Offered: c.Offered, Answered: c.Answered, Abandoned: c.Abandoned, ShortAbandoned: c.ShortAbandoned,
		SLMet: c.SLMet, TalkN: c.TalkN, WaitMs: millis(c.WaitTotalS), TalkMs: millis(c.TalkTotalS)}
}

// Rules are the per-queue thresholds the metrics are counted by.
type Rules struct {
	queues map[string]QueueConfig
	def    QueueConfig
}

// NewRules resolves cfg's queue thresholds (zero values take the defaults: 20 s, 5 s).
func NewRules(cfg Config) Rules {
	r := Rules{queues: map[string]QueueConfig{}, def: withDefaults(cfg.Default, QueueConfig{SLThresholdS: 20, AbandonAfterS: 5})}
	for q, c := range cfg.Queues {
		r.queues[q] = withDefaults(c, r.def)
	}
	return r
}

// For is a queue's thresholds.
func (r Rules) For(queue string) QueueConfig {
	if c, ok := r.queues[queue]; ok {
		return c
	}
	return r.def
}

// Tally is one call's contribution to its queue's counts (zero for a call in no queue).
func (r Rules) Tally(c call.Call) Tally {
	if c.Queue == "" {
		return Tally{}
	}
	qc := r.For(c.Queue)
	t := Tally{Offered: 1}
	wait := 0.0
	if c.WaitS != nil {
		wait = *c.WaitS
	}
	switch {
	case c.Disposition == call.Answered:
		t.Answered, t.WaitMs = 1, millis(wait)
		if wait <= qc.SLThresholdS {
			t.SLMet = 1
		}
		if c.State == call.StateEnded && c.TalkS != nil {
			t.TalkN, t.TalkMs = 1, millis(*c.TalkS)
		}
	case c.State == call.StateEnded && c.Direction != call.Outbound:
		if c.WaitS != nil && wait <= qc.AbandonAfterS {
			t.ShortAbandoned = 1
		} else {
			t.Abandoned = 1
		}
	}
	return t
}

// Pool is the figures of several queues together, pooled from their counts: waiting
// callers summed, the longest wait the longest, today's counters from summed tallies.
func Pool(qs []call.Queue) call.Queue {
	p := call.Queue{Agents: map[call.AgentStatus]int{}}
	var t Tally
	for _, q := range qs {
		p.Waiting += q.Waiting
		if q.Waiting > 0 && q.LongestWaitS > p.LongestWaitS {
			p.LongestWaitS = q.LongestWaitS
		}
		t.Add(TallyOf(q.Today), 1)
	}
	p.Today = t.Counters()
	return p
}

// longestWait is the whole seconds the oldest of the waiting callers (their arrival
// times) has waited at now.
func longestWait(now time.Time, arrivals map[string]time.Time) float64 {
	longest := 0.0
	for _, start := range arrivals {
		if w := math.Floor(now.Sub(start).Seconds()); w > longest {
			longest = w
		}
	}
	return longest
}
