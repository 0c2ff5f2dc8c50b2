package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"ringside/server/sim"
)

// The property: shuffled, retried deliveries converge to the ordered result.

// propertyStories are overlapping calls and agent actions on one vendor's source. Each
// agent sends at most one presence delivery without a call id: Simotel and VOIPEX send
// those without any time or id, so two equal ones arriving back to back are a retry to
// the server, whatever the vendor meant (the store's keyless dedupe, by design).
func propertyStories(vendor string) []sim.Story {
	at := func(s int) time.Time { return storyT0.Add(time.Duration(s) * storySec) }
	sts := []sim.Story{
		story(vendor, sim.QueueAnswered, 101, at(0)),
		story(vendor, sim.Missed, 102, at(20)),
		story(vendor, sim.Transfer, 103, at(40)),
		story(vendor, sim.Outbound, 104, at(60)),
		story(vendor, sim.AllBusy, 105, at(80)),
	}
	if vendor == "simotel" || vendor == "voipex" {
		login, pause := story(vendor, sim.AgentLogin, 106, at(10)), story(vendor, sim.AgentPause, 107, at(100))
		login.Agent, pause.Agent = simJana, simTomas
		sts = append(sts, login, pause)
	}
	return sts
}

// convergence is everything a run converges to: the calls, the active list, the agents, the
// queues at one instant, and the stored CDRs.
type convergence struct {
	Calls  map[string]json.RawMessage
	Active json.RawMessage
	Agents json.RawMessage
	Queues json.RawMessage
	CDRs   json.RawMessage
}

func playProperty(t *testing.T, vendor string, ds []timedDelivery, ids []string) convergence {
	e := startClocked(t, scenarioConfig(t))
	for _, d := range ds {
		e.deliver(d)
	}
	e.barrier()
	e.clk.set(storyT0.Add(time.Hour))
	o := convergence{Calls: map[string]json.RawMessage{}, Active: e.get("/api/v1/calls"),
		Agents: e.get("/api/v1/agents"), Queues: e.get("/api/v1/queues")}
	for _, id := range ids {
		v := e.callView(id)
		if v == nil {
			t.Fatalf("call %s missing", id)
		}
		o.Calls[id] = v.Call
	}
	_, o.CDRs = e.api("POST", "/api/v1/cdrs/search", map[string]any{"pagination": map[string]any{"count": 100}})
	return o
}

// TestShuffledRetriedDeliveriesConverge posts each vendor's overlapping stories in time
// order, then shuffled with retries (seeded), each run on a fresh server: the calls,
// agents, queues (today's counters included) and CDRs must come out the same.
//
// A delivery keeps its own receive time wherever it lands in the order (the server's
// clock is set to it): Simotel's and VOIPEX's live events carry no time, so a vendor
// reordering them in flight changes the facts themselves, which no server can undo.
// Retries arrive 2 s apart (cloudcdr's schedule) on the vendors whose events carry
// their time, and at the original's time on the others for the same reason.
func TestShuffledRetriedDeliveriesConverge(t *testing.T) {
	for _, vendor := range sim.Vendors() {
		t.Run(vendor, func(t *testing.T) {
			cfg := scenarioConfig(t)
			src := simSource(t, cfg, vendorStyles[vendor].source, sim.VariantMix)
			extras := extraStories(vendor, storyT0.Add(3*time.Minute)) // ring round, overflow, barge
			if vendor == "simotel" || vendor == "voipex" {
				// A second ring round repeats the first one's bytes on the vendors whose live
				// events carry no time: delivered before the first round's end, it is that
				// ring's retry to any receiver (the reordering changes the facts).
				extras = extras[1:]
			}
			sts := append(propertyStories(vendor), extras...)
			var ids []string
			for _, st := range sts {
				if st.IsCall() {
					ids = append(ids, storyCallID(src, st))
				}
			}
			ordered := renderAll(src, sts...)
			want := playProperty(t, vendor, ordered, ids)
			for seed := uint64(1); seed <= 3; seed++ {
				r := rand.New(rand.NewPCG(seed, 7))
				shuffled := slices.Clone(ordered)
				r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				// Each delivery keeps its place; a retry (3 in 10 deliveries get one or two)
				// lands anywhere after its original.
				type item struct {
					key float64
					td  timedDelivery
				}
				var items []item
				for i, d := range shuffled {
					items = append(items, item{float64(i), d})
					if r.IntN(10) >= 3 {
						continue
					}
					for n := range 1 + r.IntN(2) {
						retry := d
						if vendor == "sipsim" || vendor == "cloudcdr" {
							retry.at = retry.at.Add(time.Duration(2*(n+1)) * storySec)
						}
						items = append(items, item{float64(i) + 0.5 + r.Float64()*float64(len(shuffled)-i), retry})
					}
				}
				slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.key, b.key) })
				ds := make([]timedDelivery, len(items))
				for i, it := range items {
					ds[i] = it.td
				}
				retries := len(ds) - len(shuffled)
				got := playProperty(t, vendor, ds, ids)
				if a, b := indentJSON(want), indentJSON(got); !bytes.Equal(a, b) {
					t.Errorf("seed %d (%d deliveries, %d retries) does not converge to the ordered run, %s", seed, len(ds), retries, firstLineDiff(a, b))
				}
			}
		})
	}
}
