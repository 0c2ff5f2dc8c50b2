package server

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringside/store"
)

// TestOpensPreviousFormat opens a database written by the previous version (commit
// f69ffef: 60 simulator stories from every vendor, 263 deliveries, 47 CDRs, a board
// snapshot) and requires this version to read all of it and go on writing after it.
// What an upgrade does to the file is listed in the README ("Upgrades").
func TestOpensPreviousFormat(t *testing.T) {
	cfg := testConfig(t)
	gz, err := os.Open("../store/testdata/v-f69ffef.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(cfg.Data, 0o750)
	f, err := os.Create(filepath.Join(cfg.Data, "ringside.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, zr); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if r, err := store.Inspect(f.Name()); err != nil || r.LastSeq != 263 {
		t.Fatalf("the old file does not check: %+v %v", r, err)
	}

	e := startEnv(t, cfg)
	select {
	case <-e.srv.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the board never caught up with the old log")
	}
	if n := len(e.events()); n != 263 {
		t.Fatalf("%d events readable, the old file holds 263", n)
	}
	req, _ := http.NewRequest("POST", e.url+"/api/v1/cdrs/search", strings.NewReader(`{"pagination":{"count":1000}}`))
	req.Header.Set("X-APIKEY", "admin-key")
	req.Header.Set("Content-Type", "application/json")
	code, body := do(t, req)
	var res struct {
		Data struct{ Data []struct{ ID string } }
	}
	if json.Unmarshal([]byte(body), &res); code != 200 || len(res.Data.Data) != 47 {
		t.Fatalf("CDR search over the old file: %d, %d CDRs (want 47): %.300s", code, len(res.Data.Data), body)
	}
	// the CDR indexes work for a filter too (value counts are built for older files)
	req, _ = http.NewRequest("POST", e.url+"/api/v1/cdrs/search", strings.NewReader(`{"conditions":{"source":"ipex"},"pagination":{"count":1000}}`))
	req.Header.Set("X-APIKEY", "admin-key")
	req.Header.Set("Content-Type", "application/json")
	if code, body = do(t, req); code != 200 || !strings.Contains(body, `"source":"ipex"`) || strings.Contains(body, `"source":"pbx1"`) {
		t.Fatalf("filtered CDR search over the old file: %d %.300s", code, body)
	}
	// new deliveries go on after the old log
	raw := `{"event":"incoming_call_start","pbx_id":"after-upgrade","caller":"375291112233","receiver":"100"}`
	code, body = e.post("/hooks/sipsim?token=tok-sipsim", raw, func(r *http.Request) {
		r.Header.Set("Content-Type", "application/json")
		src, _ := e.cfg.Source("sipsim")
		e.authorize(r, src, []byte(raw))
	})
	if code != 200 {
		t.Fatalf("delivery after the upgrade: %d %s", code, body)
	}
	if seq := e.st.LastSeq(); seq != 264 {
		t.Fatalf("the new delivery got seq %d, want 264", seq)
	}
}
