package ingest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ringside/server/ingest"
	"ringside/server/ingest/ingesttest"
)

var update = flag.Bool("update", false, "rewrite the golden files from the decoders' output")

// golden is what a fixture must decode to.
type golden struct {
	Error  string `json:"error,omitempty"`
	Key    string `json:"key,omitempty"`
	Events any    `json:"events"`
}

// TestDecodeFixtures decodes every testdata/{vendor}/*.http and compares the result with
// the .golden.json beside it. Run with -update to (re)write the golden files, then read them.
func TestDecodeFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.http")
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	srcs := ingesttest.Sources()
	for _, path := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(path, "testdata/"), ".http"), func(t *testing.T) {
			raw, err := ingesttest.ReadRaw(path)
			if err != nil {
				t.Fatal(err)
			}
			src, ok := srcs[raw.Source()]
			if !ok {
				t.Fatalf("fixture addressed to unknown source %q", raw.Source())
			}
			if dir := filepath.Base(filepath.Dir(path)); dir != src.Vendor {
				t.Fatalf("fixture in %s/ is addressed to a %s source", dir, src.Vendor)
			}
			req := raw.Request()
			req.ReceivedAt = ingest.TestReceived
			res, err := ingest.Decode(src, req)
			g := golden{Key: res.Key, Events: res.Events}
			if err != nil {
				g = golden{Error: err.Error()}
			}
			got, _ := json.MarshalIndent(g, "", "  ")
			got = append(got, '\n')
			gpath := strings.TrimSuffix(path, ".http") + ".golden.json"
			if *update {
				if err := os.WriteFile(gpath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gpath)
			if err != nil {
				t.Fatalf("no golden file (run go test ./server/ingest -update and review it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded output differs from %s\n--- got\n%s", gpath, got)
			}
		})
	}
}
