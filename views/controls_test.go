package views

import (
	"strings"
	"testing"
	"time"

	"ringside/server/call"
)

// A call button is offered only for what a PBX can dial.
func TestCallButtonOnlyForDialableNumbers(t *testing.T) {
	for number, want := range map[string]bool{"09121234567": true, "+441632960001": true, "anonymous": false,
		"sip:101@pbx": false, "": false, "*72": false, "Unknown": false} {
		if got := strings.Contains(render(t, CallButton(number)), `class="call-btn"`); got != want {
			t.Errorf("CallButton(%q) shown %v, want %v", number, got, want)
		}
	}
}

// A PBX that sends no presence: its queue's tile says so instead of counting zero
// available and paused agents, and its agents are "not reported", not "Offline".
func TestPresenceNotReported(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	q := call.Queue{ID: "cloud:Support", Source: "cloud", Agents: map[call.AgentStatus]int{"on_call": 1}, PresenceUnreported: true}
	tile := render(t, QueueTile(now, q, DefaultThresholds()))
	if !strings.Contains(tile, "presence not reported") || strings.Contains(tile, "st-paused") || strings.Contains(tile, "st-available") {
		t.Errorf("a silent PBX's tile counts presence:\n%s", tile)
	}
	q.Agents["available"] = 2 // the directory lists two members: available between calls
	if tile := render(t, QueueTile(now, q, DefaultThresholds())); !strings.Contains(tile, "st-available") {
		t.Error("members the directory lists are not counted available")
	}
	q.PresenceUnreported = false
	if tile := render(t, QueueTile(now, q, DefaultThresholds())); strings.Contains(tile, "not reported") || !strings.Contains(tile, "st-paused") {
		t.Error("a PBX that sends presence lost its paused count")
	}
	a := call.Agent{ID: "cloud:995", State: call.StateOffline, PresenceUnreported: true}
	if row := render(t, AgentRow(now, a, nil)); !strings.Contains(row, "Not reported") || strings.Contains(row, "Offline") {
		t.Errorf("a silent PBX's agent between calls:\n%s", row)
	}
	a.State = call.StateOnCall // calls are reported
	if row := render(t, AgentRow(now, a, nil)); !strings.Contains(row, "On call") {
		t.Errorf("a silent PBX's agent on a call:\n%s", row)
	}
}
