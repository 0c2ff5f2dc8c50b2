package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"ringside/server/call"
)

// BenchmarkAppendParallel measures group-commit throughput with fsync on: concurrent
// webhook requests, each a distinct ~300-byte delivery with two events. conc is the
// number of requesters per CPU; with conc=1 nearly every append pays its own commit.
// "keyed" deliveries carry a natural key, Asterisk-style ("cdr:1700000123.4567", so
// roughly in insert order, as vendors' ids are); the others are deduplicated by content
// hash.
func BenchmarkAppendParallel(b *testing.B) {
	for _, bc := range []struct {
		keyed bool
		conc  int
	}{{false, 1}, {false, 16}, {false, 64}, {false, 256}, {true, 64}} {
		b.Run(fmt.Sprintf("keyed=%v/conc=%dxCPU", bc.keyed, bc.conc), func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "ringside.db"), Options{})
			var n atomic.Int64
			pad := string(make([]byte, 300))
			b.SetParallelism(bc.conc)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					id := fmt.Sprintf("%d.%d", 1700000000+i/100, i)
					d := delivery(id+pad, t0.Add(time.Duration(i)*time.Microsecond))
					if bc.keyed {
						d.Key = "cdr:" + id
					}
					evs := []call.Event{event("IncomingCall", id, t0), event("NewState", id, t0)}
					if _, err := s.Append(context.Background(), d, evs); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "appends/s")
		})
	}
}

// BenchmarkSearchCDRs answers typical CDR pages over 100k stored CDRs.
func BenchmarkSearchCDRs(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "ringside.db"), Options{NoSync: true})
	calls := genCDRs(100_000, 9) // ~29 days
	start := time.Now()
	putCDRs(b, s, calls)
	b.Logf("stored %d CDRs in %v", len(calls), time.Since(start))
	c := calls[len(calls)/2]
	week := t0.Add(14 * 24 * time.Hour)
	for _, bc := range []struct {
		name string
		q    Query
	}{
		{"newest", Query{}},
		{"deep page", Query{Start: 50_000}},
		{"source", Query{Source: "ipex"}},
		{"agent", Query{Agent: "agent7"}},
		{"number", Query{Number: c.From}},
		{"number suffix", Query{Number: c.From[3:]}},
		{"did (1/3 of all)", Query{Number: dids[0]}},
		{"number infix", Query{Number: c.From[3:8]}},
		{"number typed +98", Query{Number: "+98 " + c.From[1:4] + " " + c.From[4:7]}},
		{"number run most have", Query{Number: "0912"}},
		{"number run half have", Query{Number: "2001"}}, // 10,000 of the 20,000 callers
		{"week", Query{From: week, To: week.Add(7 * 24 * time.Hour)}},
		{"queue+disposition", Query{Queue: "pbx1:q3", Disposition: string(call.Missed)}},
		{"source+direction+week", Query{Source: "pbx1", Direction: string(call.Inbound), From: week, To: week.Add(7 * 24 * time.Hour)}},
		{"source+direction+disposition", Query{Source: "pbx1", Direction: string(call.Inbound), Disposition: string(call.Answered)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var total int
			for b.Loop() {
				var err error
				if _, total, err = s.SearchCDRs(bc.q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total), "matches")
		})
	}
	b.Run("EachCDR all", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := s.EachCDR(Query{}, func(call.Call) error { n++; return nil }); err != nil || n != len(calls) {
				b.Fatal(n, err)
			}
		}
	})
}
