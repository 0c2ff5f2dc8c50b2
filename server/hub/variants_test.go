package hub

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// Subscribers of one topic in three languages: each change is rendered once per
// language, and each subscriber gets its own language's bytes.
func TestVariantsRenderOncePerVariant(t *testing.T) {
	h := New(Options{Windows: map[string]time.Duration{"callbacks": time.Second}})
	srv := serve(t, h, nil)
	fa1 := dial(t, srv, "fa1", "wallboard@fa|Asia/Tehran", false)
	fa2 := dial(t, srv, "fa2", "wallboard@fa|Asia/Tehran", false)
	cs := dial(t, srv, "cs", "wallboard@cs|Europe/Prague", false)
	waitConns(t, h, 3)
	for _, c := range []*client{fa1, fa2, cs} {
		c.next(t) // init
	}
	got := h.Variants("wallboard")
	if want := []string{"cs|Europe/Prague", "fa|Asia/Tehran"}; !slices.Equal(got, want) {
		t.Fatalf("variants = %q, want %q", got, want)
	}
	var renders atomic.Int32
	for _, v := range got {
		h.Publish("wallboard"+VariantSep+v, "k", func() []byte { renders.Add(1); return []byte("frame:" + v) })
	}
	fa1.expect(t, "frame:fa|Asia/Tehran")
	fa2.expect(t, "frame:fa|Asia/Tehran")
	cs.expect(t, "frame:cs|Europe/Prague")
	if n := renders.Load(); n != 2 {
		t.Fatalf("%d renders for 3 subscribers in 2 languages, want 2", n)
	}
	if k := TopicKind("agent:petr@fa|UTC"); k != "agent" {
		t.Fatalf("kind = %q", k)
	}
	if w := h.window("callbacks@fa|UTC"); w != time.Second {
		t.Fatalf("variant window = %v, want the topic's 1s", w)
	}
	cs.p.hangUp()
	eventually(t, "cs variant gone", func() bool { return len(h.Variants("wallboard")) == 1 })
}
