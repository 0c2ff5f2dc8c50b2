package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// EventsAt reads events by seq as the by-call index reads them, and says when the log
// does not hold one.
func TestEventsAt(t *testing.T) {
	s, _ := tempStore(t)
	for i, id := range []string{"1", "2", "1", "3"} {
		mustAppend(t, s, delivery(fmt.Sprint(i), t0), event(fmt.Sprint("e", i), id, t0))
	}
	byCall, err := s.CallEvents("pbx1:1")
	if err != nil || len(byCall) != 2 {
		t.Fatalf("CallEvents = %v, %v", byCall, err)
	}
	got, err := s.EventsAt([]uint64{3, 1, 4, 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !reflect.DeepEqual(got[1], byCall[0]) || !reflect.DeepEqual(got[3], byCall[1]) || got[4].Name != "e3" {
		t.Fatalf("EventsAt = %+v, want seqs 1 and 3 as CallEvents reads them, and 4", got)
	}
	if _, err := s.EventsAt([]uint64{2, 9}); err == nil || !strings.Contains(err.Error(), "9") {
		t.Fatalf("EventsAt of a seq past the log: %v", err)
	}
}
