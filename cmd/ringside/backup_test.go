package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ringside/server/sim"
)

// logEvents reads the log through the API: seq → the event's JSON, up to seq upTo.
func (a apiClient) logEvents(upTo uint64) map[uint64]string {
	a.t.Helper()
	out := map[uint64]string{}
	for after := uint64(0); after < upTo; {
		code, b := a.do("GET", fmt.Sprintf("/api/v1/events?after=%d&limit=1000", after), "")
		var env struct{ Data []json.RawMessage }
		if err := json.Unmarshal(b, &env); err != nil || code != 200 {
			a.t.Fatalf("events: %d %s", code, b)
		}
		if len(env.Data) == 0 {
			break
		}
		for _, raw := range env.Data {
			var e struct{ Seq uint64 }
			json.Unmarshal(raw, &e)
			if e.Seq <= upTo {
				out[e.Seq] = string(raw)
			}
			after = e.Seq
		}
	}
	return out
}

// TestBackupDuringStreamRestores: `ringside backup -url` taken while the simulator
// streams webhooks at the server gives a file that `check` accepts and `restore` puts
// in place; a server started on it has exactly the original's log up to the backup's
// seq, and shows every call that was settled by then exactly as the original does.
func TestBackupDuringStreamRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	conf := filepath.Join(dir, "ringside.toml")
	os.WriteFile(conf, []byte(restartConfig(0)), 0o644)
	addr := freeAddr(t)
	orig := exec.Command(bin, "-config", conf, "-data", filepath.Join(dir, "orig"), "-listen", addr)
	if err := orig.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { orig.Process.Signal(syscall.SIGTERM); orig.Wait() }()
	api := apiClient{t: t, base: "http://" + addr, c: &http.Client{Timeout: 10 * time.Second}}
	waitUp(t, api.base+"/healthz")

	g := sim.NewGenerator(7, simSources(), sim.Options{AgentsPerSource: 5, Speed: 300})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	streamed := make(chan sim.Stats, 1)
	go func() {
		st, _ := sim.Run(ctx, &sim.Poster{BaseURL: api.base}, g, 160)
		streamed <- st
	}()
	for api.seq() < 300 { // well into the stream (of ~680 events), with enough calls settled to compare
		if ctx.Err() != nil {
			t.Fatal("the stream did not get going")
		}
		time.Sleep(20 * time.Millisecond)
	}
	backup := filepath.Join(dir, "backup.db")
	out, err := exec.Command(bin, "backup", "-url", api.base, "-key", "admin-key", backup).CombinedOutput()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	var seq uint64
	if _, err := fmt.Sscanf(string(out), "backup of the log up to seq %d", &seq); err != nil || seq < 300 {
		t.Fatalf("backup said %q", out)
	}
	stats := <-streamed
	if stats.OK != stats.Sent || stats.Errors > 0 {
		t.Fatalf("the stream had failures while the backup ran: %v", stats)
	}
	final := api.seq()
	if final <= seq {
		t.Fatalf("the stream ended at seq %d, not after the backup's %d: the backup was not taken during it", final, seq)
	}
	ids := api.callIDs()
	original := api.settled(ids)
	t.Logf("backup at seq %d while the stream went on to seq %d (%v)", seq, final, stats)

	if out, err := exec.Command(bin, "check", backup).CombinedOutput(); err != nil || !strings.Contains(string(out), fmt.Sprintf("log up to seq %d", seq)) {
		t.Fatalf("check: %v\n%s", err, out)
	}
	restored := filepath.Join(dir, "restored")
	if out, err := exec.Command(bin, "restore", "-data", restored, backup).CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	// compacted before it starts: the server that follows reads the compacted file
	if out, err := exec.Command(bin, "compact", "-data", restored).CombinedOutput(); err != nil || !strings.Contains(string(out), fmt.Sprintf("up to seq %d, checked", seq)) {
		t.Fatalf("compact: %v\n%s", err, out)
	}
	addr2 := freeAddr(t)
	second := exec.Command(bin, "-config", conf, "-data", restored, "-listen", addr2)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { second.Process.Signal(syscall.SIGTERM); second.Wait() }()
	api2 := apiClient{t: t, base: "http://" + addr2, c: api.c}
	waitUp(t, api2.base+"/healthz")
	if got := api2.seq(); got != seq {
		t.Fatalf("restored log at seq %d, the backup said %d", got, seq)
	}
	want, got := api.logEvents(seq), api2.logEvents(seq)
	if len(got) != len(want) {
		t.Fatalf("restored log holds %d events up to seq %d, the original %d", len(got), seq, len(want))
	}
	settledBy := map[string]bool{} // calls all of whose events are at or before seq
	later := map[string]bool{}
	for s, e := range api.logEvents(final) {
		var ev struct{ Call string }
		json.Unmarshal([]byte(e), &ev)
		if s <= seq {
			if got[s] != e {
				t.Fatalf("event %d differs:\n  original %s\n  restored %s", s, e, got[s])
			}
			settledBy[ev.Call] = true
		} else {
			later[ev.Call] = true
		}
	}
	var compare []string
	for id := range settledBy {
		if id != "" && !later[id] {
			compare = append(compare, id)
		}
	}
	if len(compare) < 20 {
		t.Fatalf("only %d calls settled by the backup: too few to compare", len(compare))
	}
	restoredBoard := api2.settled(compare)
	for _, id := range compare {
		k := "call " + id
		if restoredBoard[k] != original[k] {
			t.Errorf("call %s differs after the restore:\n  original %s\n  restored %s", id, clip(original[k]), clip(restoredBoard[k]))
		}
	}
	t.Logf("%d events identical up to seq %d; %d calls settled by then shown identically", len(got), seq, len(compare))
}
