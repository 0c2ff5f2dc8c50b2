package sim

import (
	"testing"

	"ringside/server/call"
)

// The generator's stories include second ring rounds, overflows to a second queue
// (Simotel) and supervisors listening in (VOIPEX), and their rendered deliveries say so
// in each vendor's terms.
func TestGeneratorExtras(t *testing.T) {
	srcs := map[string]Source{}
	for _, s := range genSources() {
		srcs[s.Name] = s
	}
	rounds, overflows, monitors := 0, 0, 0
	for i, st := range stories(11, 3000, Options{}) {
		if !st.IsCall() || st.Kind == RecordOnly {
			continue
		}
		src := srcs[st.Source]
		evs := decodeAll(t, src, Render(src, st))
		rung := map[string]int{}
		for _, a := range st.Chain {
			rung[a.Agent.Ext]++
		}
		for _, n := range rung {
			if n > 1 && src.Vendor != "voipex" {
				rounds++
				rings := map[string]int{}
				for _, e := range evs {
					if e.Type == call.LegRinging {
						rings[e.Agent]++
					}
				}
				twice := false
				for _, n := range rings {
					twice = twice || n > 1
				}
				if !twice && src.Vendor != "cloudcdr" {
					t.Errorf("story %d: a second ring round on %s renders no second ring: %v", i, src.Vendor, rings)
				}
			}
		}
		if st.Overflow != "" {
			overflows++
			queues := map[string]bool{}
			for _, e := range evs {
				if e.Type == call.CallRecord && len(e.Legs) > 0 || e.Name == "CdrQueue" {
					queues[e.Queue] = true
				}
			}
			if !queues[src.Name+":"+st.Queue] || !queues[src.Name+":"+st.Overflow] {
				t.Errorf("story %d: overflow %s → %s gives queue records %v", i, st.Queue, st.Overflow, queues)
			}
		}
		if st.Monitor != nil {
			monitors++
			n := 0
			for _, e := range evs {
				if e.Role == call.RoleMonitor {
					n++
					if e.Agent != src.Name+":"+st.Monitor.Login {
						t.Errorf("story %d: monitoring event of %s, want %s", i, e.Agent, st.Monitor.Login)
					}
				}
			}
			if n != 3 || st.MonitorAt <= st.Answer || st.MonitorEnd >= st.End {
				t.Errorf("story %d: %d monitoring events, monitor %s..%s of a call answered %s ended %s", i, n, st.MonitorAt, st.MonitorEnd, st.Answer, st.End)
			}
		}
	}
	if rounds == 0 || overflows == 0 || monitors == 0 {
		t.Errorf("in 3000 stories: %d second ring rounds, %d overflows, %d monitored calls; want some of each", rounds, overflows, monitors)
	}
	t.Logf("%d second ring rounds, %d overflows, %d monitored calls", rounds, overflows, monitors)
}
