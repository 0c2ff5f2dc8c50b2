package sim

import (
	"math/rand/v2"
	"time"

	"ringside/server/call"
)

// Extras of a queue call the generator adds now and then, so a demo shows them: a second
// ring round at the same agent, an overflow to a second queue (Simotel) and a supervisor
// listening in (VOIPEX). Their dice come from the story's own id, so adding them leaves
// the generator's main random stream, and every other story, as it was.

func extraDice(st Story) *rand.Rand { return rand.New(rand.NewPCG(hash64(st.Source, st.ID), 12)) }

// ringsTwice says whether a linear queue's answering agent misses the first ring round
// and takes the call when the queue rings them again.
func ringsTwice(st Story) bool { return extraDice(st).IntN(6) == 0 }

// addExtras adds an overflow or a monitoring supervisor to an answered queue call.
func (g *Generator) addExtras(s *site, st *Story, answerer int) {
	d := extraDice(*st)
	d.IntN(6) // ringsTwice's draw
	switch {
	case s.vendor == "simotel" && len(s.queues) > 1 && d.IntN(4) == 0:
		// Nobody in the first queue took it: the caller moved on to the second queue,
		// where the answering attempt belongs.
		for _, a := range st.Chain {
			if a.Outcome == call.OutcomeAnswer && a.Start > 0 {
				for _, q := range s.queues {
					if q.name != st.Queue {
						st.Overflow, st.OverflowAt = q.name, a.Start
						break
					}
				}
			}
		}
	case s.vendor == "voipex" && d.IntN(5) == 0:
		var others []int
		for i := range s.agents {
			if i != answerer && (st.TransferTo == nil || s.agents[i] != *st.TransferTo) {
				others = append(others, i)
			}
		}
		until := st.End
		if st.TransferTo != nil {
			until = st.TransferAt
		}
		from := st.Answer + g.scale(time.Duration(5+d.IntN(20))*time.Second)
		to := from + g.scale(time.Duration(15+d.IntN(45))*time.Second)
		if len(others) == 0 || to >= until {
			return
		}
		m := s.agents[others[d.IntN(len(others))]]
		st.Monitor, st.MonitorAt, st.MonitorEnd = &m, from, to
	}
}

// secondRound is the missed first round of a twice-rung agent: rung from t for 15 s.
func secondRound(a Agent, t, sec time.Duration) Attempt {
	return Attempt{Agent: a, Start: t, End: t + 15*sec, Outcome: call.OutcomeNoAnswer}
}
