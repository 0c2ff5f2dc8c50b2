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

// Queue bucket slots (store.Counts.Sum). The first eight are the live board's day
// counters for a queue, with the same meaning: see queueCounts.
const (
	qOffered = iota
	qAnswered
	qAbandoned
	qSLMet  // answered within the queue's service-level threshold
	qSLBase // answered, or abandoned after the short-abandon window
	qTalkN  // answered calls with a known talk time
	qWaitMs // wait of the answered calls
	qTalkMs
	qWaitBins                     // first of nBins wait-time bins (answered and abandoned)
	qTalkBins = qWaitBins + nBins // first of nBins talk-time bins (answered)
	qSlots    = qTalkBins + nBins
)

// nBins is the number of bins of each distribution: one per bound and one above.
const nBins = 7

// Queue bucket maxima (store.Counts.Max).
const (
	qLongestWaitMs = iota
	qMaxSlots
)

// WaitBins and TalkBins are the upper bounds (seconds, exclusive) of the distribution
// bins; one more bin holds everything above the last.
var (
	WaitBins = [nBins - 1]float64{10, 20, 30, 60, 120, 300}
	TalkBins = [nBins - 1]float64{30, 60, 120, 300, 600, 1200}
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

// queueCounts is a call's contribution to its queue, by the live board's definitions
// (live.Board's day counters): every call that named the queue is offered; answered
// calls count their wait (ASA) and, once ended with a known talk time, their talk
// (AHT); an ended, unanswered, not outbound call is abandoned. Service level: answered
// within the queue's threshold over answered plus abandoned after its short-abandon
// window. Times are integer milliseconds so sums do not drift.
func queueCounts(c *call.Call, qc live.QueueConfig, now time.Time) store.Counts {
	n := store.Counts{Sum: make([]int64, qSlots), Max: make([]int64, qMaxSlots)}
	n.Sum[qOffered] = 1
	wait := 0.0
	if c.WaitS != nil {
		wait = *c.WaitS
	} else if c.State == call.StateQueued || c.State == call.StateRinging {
		if c.StartedAt != nil && now.After(*c.StartedAt) {
			wait = math.Floor(now.Sub(*c.StartedAt).Seconds()) // still waiting: so far
		}
	}
	answered := c.Disposition == call.Answered || c.State == call.StateAnswered
	switch {
	case answered:
		n.Sum[qAnswered], n.Sum[qSLBase], n.Sum[qWaitMs] = 1, 1, millis(wait)
		if wait <= qc.SLThresholdS {
			n.Sum[qSLMet] = 1
		}
		if c.State == call.StateEnded && c.TalkS != nil {
			n.Sum[qTalkN], n.Sum[qTalkMs] = 1, millis(*c.TalkS)
			n.Sum[qTalkBins+bin(TalkBins[:], *c.TalkS)] = 1
		}
		n.Sum[qWaitBins+bin(WaitBins[:], wait)] = 1
	case c.State == call.StateEnded && c.Direction != call.Outbound:
		n.Sum[qAbandoned] = 1
		if c.WaitS == nil || wait > qc.AbandonAfterS {
			n.Sum[qSLBase] = 1
		}
		n.Sum[qWaitBins+bin(WaitBins[:], wait)] = 1
	}
	n.Max[qLongestWaitMs] = millis(wait)
	return n
}

// queueFigures derives a queue's figures from summed counters, rounded as the live
// board rounds them (one decimal).
func queueFigures(s []int64) (slPct, asaS, ahtS float64) {
	if s[qSLBase] > 0 {
		slPct = round1(100 * float64(s[qSLMet]) / float64(s[qSLBase]))
	}
	if s[qAnswered] > 0 {
		asaS = round1(float64(s[qWaitMs]) / 1000 / float64(s[qAnswered]))
	}
	if s[qTalkN] > 0 {
		ahtS = round1(float64(s[qTalkMs]) / 1000 / float64(s[qTalkN]))
	}
	return slPct, asaS, ahtS
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
