package hub

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFanout: one op = one 1 KiB frame published to a topic with N in-memory
// subscribers and read by all of them; frames/s counts frames delivered.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	const batch = 64 // below QueueSize: the publisher waits for readers every batch
	h := New(Options{})
	srv := serve(b, h, func(string) []byte { return []byte("init") })
	var got, target atomic.Int64
	caught := make(chan struct{}, 1)
	for i := range n {
		c := dial(b, srv, fmt.Sprint(i), "wb", false)
		<-c.frames // initial
		go func() {
			for range c.frames {
				if got.Add(1) == target.Load() {
					caught <- struct{}{}
				}
			}
		}()
	}
	frame := []byte(`<div id="x" hx-swap-oob="true">` + strings.Repeat("x", 1000) + `</div>`)
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; {
		k := min(batch, b.N-sent)
		sent += k
		target.Store(int64(n * sent))
		for range k {
			h.PublishNow("wb", fixed(frame))
		}
		select {
		case <-caught:
		case <-time.After(10 * time.Second):
			b.Fatalf("delivered %d of %d frames", got.Load(), n*sent)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "frames/s")
	if d := h.Stats().Drops; d != 0 {
		b.Fatalf("%d connections dropped", d)
	}
}
