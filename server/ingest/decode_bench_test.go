package ingest_test

import (
	"path/filepath"
	"testing"

	"ringside/server/ingest"
	"ringside/server/ingest/ingesttest"
)

// BenchmarkDecodeFixtures decodes every fixture once per op: what intake spends
// turning vendor dialects into events (see -benchmem for the garbage it leaves).
func BenchmarkDecodeFixtures(b *testing.B) {
	files, _ := filepath.Glob("testdata/*/*.http")
	srcs := ingesttest.Sources()
	var srcOf []ingest.Source
	var reqs []ingest.Request
	for _, path := range files {
		raw, err := ingesttest.ReadRaw(path)
		if err != nil {
			b.Fatal(err)
		}
		req := raw.Request()
		req.ReceivedAt = ingest.TestReceived
		srcOf, reqs = append(srcOf, srcs[raw.Source()]), append(reqs, req)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := range reqs {
			ingest.Decode(srcOf[i], reqs[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(reqs)), "ns/delivery")
}
