package live

import (
	"reflect"
	"testing"
)

// Queue answers what Queues lists for the same queue, after every event of every
// scenario, and nothing for a queue it does not list.
func TestQueueIsQueuesEntry(t *testing.T) {
	checked := 0
	for _, s := range allScenarios() {
		b := New(testConfig())
		for k, e := range s.events {
			b.Apply(e)
			now := e.At.Add(7)
			for _, want := range b.Queues(now) {
				got, ok := b.Queue(now, want.ID)
				if !ok || !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, after event %d: Queue(%s) = %+v, %v; Queues has %+v", s.name, k+1, want.ID, got, ok, want)
				}
				checked++
			}
			if q, ok := b.Queue(now, "nowhere:0"); ok {
				t.Fatalf("%s: Queue of an unknown queue = %+v", s.name, q)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no queue was ever listed")
	}
}
