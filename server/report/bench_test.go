package report

import (
	"fmt"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/store"
)

// BenchmarkMonth reads a 31-day agents report and queues report by day over a store
// holding 10,000 calls a day (24 queues, 240 agents).
func BenchmarkMonth(b *testing.B) {
	st, err := store.Open(b.TempDir()+"/r.db", store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := &Reader{Store: st, Rules: rules()}
	from := t0.AddDate(0, 0, -31)
	var batch []call.Call
	const n = 310000
	for i := range n {
		at := from.Add(time.Duration(i) * (31 * 24 * time.Hour / n))
		c := ended(fmt.Sprint("c", i), fmt.Sprint("p:q", i%24), 0, float64(i%40), float64(i%300), fmt.Sprint("p:a", i%240))
		c.StartedAt = &at
		c.Legs[0].StartedAt = &at
		if batch = append(batch, c); len(batch) == 10000 {
			if err := Update(st, r.Rules, batch, nil); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	p := Params{From: from, To: t0, Zone: time.UTC, Now: t0}
	b.ResetTimer()
	for range b.N {
		p.GroupBy = call.GroupTotal
		if rows, err := r.Agents(p); err != nil || len(rows) != 240 {
			b.Fatal(err, len(rows))
		}
		p.GroupBy = call.GroupDay
		if rows, err := r.Queues(p); err != nil || len(rows) < 24*31 {
			b.Fatal(err, len(rows))
		}
	}
}
