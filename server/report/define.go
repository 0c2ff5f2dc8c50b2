package report

import (
	"math"
	"time"

	"ringside/server/call"
	"ringside/server/live"
	"ringside/store"
)

// Bucket kinds.
const (
	KindQueue = 'q'
	KindAgent = 'a'
)

// Queue bucket slots (store.Counts.Sum): the counts of live.Tally, the one definition
// of the queue metrics, then the distributions.
const (
	qOffered = iota
	qAnswered
	qAbandoned      // after the queue's short-abandon window
	qShortAbandoned // within it: neither abandoned nor against the service level
	qSLMet          // answered within the queue's service-level threshold
	qTalkN          // answered, ended calls with a known talk time
	qWaitMs         // wait of the answered calls
	qTalkMs
	qWaitBins                              // first of call.DistBins wait-time bins (answered and abandoned)
	qTalkBins  = qWaitBins + call.DistBins // first of call.DistBins talk-time bins (answered)
	qCallbacks = qTalkBins + call.DistBins // callers of the queue someone started calling back
	qSlots     = qCallbacks + 1
)

// Queue bucket maxima (store.Counts.Max).
const (
	qLongestWaitMs = iota
	qMaxSlots
)

// Agent bucket slots.
const (
	aOffered     = iota // offers (legs) that reached the agent, bar rings cancelled by a colleague's answer
	aAnswered           // offers the agent took
	aNotAnswered        // offers the agent did not take
	aOutbound           // calls the agent placed
	aTalkN              // answered offers with a known talk time
	aAnsTalkMs          // talk on answered offers (AHT)
	aTalkMs             // all talk: answered offers and outbound calls (occupancy)
	aLoggedMs           // logged in (paused included)
	aPausedMs           // paused, any reason; by reason in Counts.Named
	aSlots
)

// queueCounts is a call's contribution to its queue: live.Rules.Tally (what the
// wallboard counts), the distributions, and its wait for the longest wait of the
// period (a caller still waiting has waited until now so far).
func queueCounts(c *call.Call, rules live.Rules, now time.Time) store.Counts {
	t := rules.Tally(*c)
	n := store.Counts{Sum: make([]int64, qSlots), Max: make([]int64, qMaxSlots)}
	n.Sum[qOffered], n.Sum[qAnswered], n.Sum[qAbandoned] = int64(t.Offered), int64(t.Answered), int64(t.Abandoned)
	n.Sum[qShortAbandoned], n.Sum[qSLMet], n.Sum[qTalkN] = int64(t.ShortAbandoned), int64(t.SLMet), int64(t.TalkN)
	n.Sum[qWaitMs], n.Sum[qTalkMs] = t.WaitMs, t.TalkMs
	wait := 0.0
	switch {
	case c.WaitS != nil:
		wait = *c.WaitS
	case (c.State == call.StateQueued || c.State == call.StateRinging) && c.StartedAt != nil && now.After(*c.StartedAt):
		wait = math.Floor(now.Sub(*c.StartedAt).Seconds())
	}
	if t.Answered+t.Abandoned+t.ShortAbandoned > 0 {
		n.Sum[qWaitBins+bin(call.WaitBins[:], wait)] = 1
	}
	if t.TalkN > 0 {
		n.Sum[qTalkBins+bin(call.TalkBins[:], *c.TalkS)] = 1
	}
	n.Max[qLongestWaitMs] = millis(wait)
	return n
}

// tallyOf is summed queue counts back as live's tally, whose Counters derive the
// figures exactly as the wallboard does.
func tallyOf(s []int64) live.Tally {
	return live.Tally{Offered: int(s[qOffered]), Answered: int(s[qAnswered]), Abandoned: int(s[qAbandoned]),
		ShortAbandoned: int(s[qShortAbandoned]), SLMet: int(s[qSLMet]), TalkN: int(s[qTalkN]),
		WaitMs: s[qWaitMs], TalkMs: s[qTalkMs]}
}

func bin(bounds []float64, v float64) int {
	for i, b := range bounds {
		if v < b {
			return i
		}
	}
	return len(bounds)
}

func millis(s float64) int64 { return int64(math.Round(s * 1000)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }
