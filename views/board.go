package views

import (
	"math"
	"strconv"
	"strings"
	"time"

	"ringside/server/call"
)

// tileLevel is a queue tile's colour: red past the thresholds, amber at half way.
func tileLevel(q call.Queue, th Thresholds) string {
	th = th.orDefault()
	counted := q.Today.Answered+q.Today.Abandoned > 0
	wait := q.Waiting > 0 && q.LongestWaitS > th.RedWaitS
	if wait || counted && q.Today.ServiceLevelPct < th.RedSLPct {
		return "red"
	}
	if q.Waiting > 0 && q.LongestWaitS >= th.RedWaitS/2 || counted && q.Today.ServiceLevelPct < th.RedSLPct+(100-th.RedSLPct)/2 {
		return "amber"
	}
	return "ok"
}

// slLevel colours the service level bar by the service level alone.
func slLevel(q call.Queue, th Thresholds) string {
	th = th.orDefault()
	switch sl := q.Today.ServiceLevelPct; {
	case sl < th.RedSLPct:
		return "red"
	case sl < th.RedSLPct+(100-th.RedSLPct)/2:
		return "amber"
	}
	return "ok"
}

// waitStart is when the longest waiting caller arrived.
func waitStart(now time.Time, q call.Queue) time.Time {
	return now.Add(-time.Duration(q.LongestWaitS * float64(time.Second)))
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// slStep is the service level as a 0..100 step of 5 for the bar's class (no inline styles).
func slStep(f float64) string {
	f = math.Max(0, math.Min(100, f))
	return strconv.Itoa(int(math.Round(f/5)) * 5)
}

// summary totals the queues for the wallboard's headline strip.
type summary struct {
	Waiting                                 int
	Longest                                 float64
	Offered, Answered, Abandoned            int
	Available, Ringing, OnCall, Paused, Off int
	SL                                      float64
	Counted                                 bool
}

// summarize reads the pooled queue figures (computed once, in package live) and counts
// the agents by state.
func summarize(d WallboardData) summary {
	t := d.Total
	s := summary{Waiting: t.Waiting, Longest: t.LongestWaitS, Offered: t.Today.Offered, Answered: t.Today.Answered,
		Abandoned: t.Today.Abandoned, SL: t.Today.ServiceLevelPct, Counted: t.Today.Answered+t.Today.Abandoned > 0}
	for _, a := range d.Agents {
		switch a.State {
		case call.StateAvailable:
			s.Available++
		case call.StateRinging:
			s.Ringing++
		case call.StateOnCall:
			s.OnCall++
		case call.StatePaused:
			s.Paused++
		default:
			s.Off++
		}
	}
	return s
}

// findCall returns the active call with the id, for the agents board.
func findCall(calls []call.Call, id string) *call.Call {
	if id == "" {
		return nil
	}
	for i := range calls {
		if calls[i].ID == id {
			return &calls[i]
		}
	}
	return nil
}

// ringingNames lists the agents a call rings at.
func ringingNames(names Names, ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = names.Of(id)
	}
	return strings.Join(out, ", ")
}

// queueLabel is a call's queue as people know it: its configured name, else the PBX's.
func queueLabel(c call.Call) string {
	if c.QueueName != "" {
		return c.QueueName
	}
	return local(c.Queue)
}
