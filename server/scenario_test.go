package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ringside/server/sim"
)

// Goldens: every story kind on every vendor, played through HTTP, and what the API
// shows of it (testdata/scenarios/*.json).

// scenarioGolden is one scenario's file in testdata/scenarios.
type scenarioGolden struct {
	Vendor      string      `json:"vendor"`
	Story       sim.Kind    `json:"story"`
	Source      string      `json:"source"`
	Variants    []string    `json:"variants"` // every transport variant gives this same file
	Deliveries  int         `json:"deliveries"`
	Checkpoints []boardView `json:"checkpoints,omitempty"`
	Final       boardView   `json:"final"` // an hour after the start: every call is over
}

// playScenario runs one scenario on a fresh server in one transport variant.
func playScenario(t *testing.T, vendor string, kind sim.Kind, variant string) scenarioGolden {
	cfg := scenarioConfig(t)
	e := startClocked(t, cfg)
	src := simSource(t, cfg, vendorStyles[vendor].source, variant)
	stories := scenario(vendor, kind)
	main := stories[len(stories)-1]
	id := ""
	if main.IsCall() {
		id = storyCallID(src, main)
	}
	ds := renderAll(src, stories...)
	g := scenarioGolden{Vendor: vendor, Story: kind, Source: src.Name, Variants: sim.Variants(vendor), Deliveries: len(ds)}
	next := 0
	if vendor != "cloudcdr" { // cloudcdr only reports finished calls: nothing live to look at
		for _, cp := range storyCheckpoints[kind] {
			at := main.Start.Add(cp)
			for ; next < len(ds) && !ds[next].at.After(at); next++ {
				e.deliver(ds[next])
			}
			g.Checkpoints = append(g.Checkpoints, e.look(at, id))
		}
	}
	for ; next < len(ds); next++ {
		e.deliver(ds[next])
	}
	g.Final = e.look(storyT0.Add(time.Hour), id)
	return g
}

// TestScenarios plays every story kind on every vendor through HTTP and compares the
// call, agents and queues the API shows with testdata/scenarios/{vendor}-{story}.json
// (-update writes them). Every transport variant of a vendor must give the same file.
func TestScenarios(t *testing.T) {
	for _, vendor := range sim.Vendors() {
		for _, kind := range sim.Kinds {
			name := vendor + "-" + string(kind)
			t.Run(name, func(t *testing.T) {
				cfg := scenarioConfig(t)
				if len(renderAll(simSource(t, cfg, vendorStyles[vendor].source, ""), scenario(vendor, kind)...)) == 0 {
					if main := scenario(vendor, kind)[0]; main.IsCall() {
						t.Fatalf("%s renders nothing for a call", vendor)
					}
					t.Skipf("%s has no agent events", vendor)
				}
				vs := sim.Variants(vendor)
				g := playScenario(t, vendor, kind, vs[0])
				got := indentJSON(g)
				path := filepath.Join("testdata", "scenarios", name+".json")
				if *update {
					os.MkdirAll(filepath.Dir(path), 0o755)
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				} else if want, err := os.ReadFile(path); err != nil {
					t.Fatalf("%v (run with -update to write it)", err)
				} else if !bytes.Equal(want, got) {
					t.Errorf("%s differs from the golden, %s", vs[0], firstLineDiff(want, got))
				}
				for _, v := range vs[1:] {
					if other := indentJSON(playScenario(t, vendor, kind, v)); !bytes.Equal(other, got) {
						t.Errorf("variant %s differs from %s, %s", v, vs[0], firstLineDiff(got, other))
					}
				}
			})
		}
	}
}
