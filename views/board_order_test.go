package views

import (
	"slices"
	"testing"

	"ringside/server/call"
)

func TestBoardOrderGroupsByState(t *testing.T) {
	in := []call.Agent{
		{ID: "a", Name: "Zoe", State: call.StateOffline},
		{ID: "b", Name: "yann", State: call.StateAvailable},
		{ID: "c", Name: "Xena", State: call.StatePaused},
		{ID: "d", Name: "Will", State: call.StateRinging},
		{ID: "e", Name: "Vera", State: call.StateOnCall},
		{ID: "f", Name: "Adam", State: call.StateOnCall},
		{ID: "g", Name: "Bea", State: call.StateAvailable},
		{ID: "h", Name: "", State: ""},
	}
	var got []string
	for _, a := range boardOrder(in) {
		got = append(got, a.ID)
	}
	// on call, ringing, paused, available, offline last; by name within (case aside;
	// an agent without a name goes by its id)
	if want := []string{"f", "e", "d", "c", "g", "b", "h", "a"}; !slices.Equal(got, want) {
		t.Errorf("board order %v, want %v", got, want)
	}
	if in[0].ID != "a" {
		t.Error("boardOrder reordered its argument")
	}
}
