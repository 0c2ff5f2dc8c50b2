package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"ringside/server/live"
)

// Once caught up, the server keeps within memory_limit_mb: Go's soft limit is the
// budget while the board is small, and follows the live heap when it is not.
func TestMemoryLimitOnceCaughtUp(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1)) // the test binary's own limit, back after
	cfg := testConfig(t)
	cfg.MemoryLimitMB = 300
	e := startEnv(t, cfg)
	<-e.srv.Ready()
	e.srv.board.limitMemory() // as every limitEvery
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Fatalf("soft memory limit %d MiB, want 300", got>>20)
	}
	if got := memoryLimit(300<<20, 400<<20, 60<<20); got != 560<<20 {
		t.Errorf("a 400 MiB live heap and 60 MiB besides under a 300 MiB budget: limit %d MiB, want 560", got>>20)
	}
	off := *cfg // the server's own stays as it is: its board reads it
	off.MemoryLimitMB = -1
	debug.SetMemoryLimit(1 << 40)
	(&board{cfg: &off}).limitMemory()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("memory_limit_mb = -1 changed the limit to %d MiB", got>>20)
	}
}

// A board that replayed a long log is laid out anew from the snapshot it stores on
// catching up, and is the same board: its whole snapshot equals the replayed one's.
func TestBoardLaidOutAnewAfterAReplay(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg)
	<-e.srv.Ready()
	for i := range 150 {
		body := fmt.Sprintf(`{"event_name":"IncomingCall","unique_id":"c%d","src":"0912%07d","dst":"991","entry_point":"02191305588"}`, i, i)
		if code, resp := e.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("%d %s", code, resp)
		}
	}
	e.srv.Shutdown(t.Context())
	if err := e.st.PutSnapshot(0, nil); err != nil { // as after a crash before any snapshot
		t.Fatal(err)
	}
	e.st.Close()
	log, err := os.ReadFile(filepath.Join(cfg.Data, "ringside.db"))
	if err != nil {
		t.Fatal(err)
	}
	boards := map[bool][]byte{}
	for _, anew := range []bool{false, true} {
		c := *cfg
		c.Data, c.SnapshotEvery = t.TempDir(), 50
		if !anew {
			c.SnapshotEvery = 1 << 30 // more than the replay
		}
		if err := os.WriteFile(filepath.Join(c.Data, "ringside.db"), log, 0o600); err != nil {
			t.Fatal(err)
		}
		again := startEnv(t, &c)
		<-again.srv.Ready()
		want := map[bool]int32{false: 0, true: 1}[anew]
		for deadline := time.Now().Add(10 * time.Second); again.srv.board.compacted.Load() != want && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if got := again.srv.board.compacted.Load(); got != want {
			t.Fatalf("snapshot_every %d: laid out anew %d times, want %d", c.SnapshotEvery, got, want)
		}
		again.srv.board.read(func(lb *live.Board) { boards[anew], _ = lb.Snapshot() })
	}
	if !bytes.Equal(boards[false], boards[true]) {
		t.Fatalf("the board laid out anew differs from the replayed one:\n%q\n%q", boards[true], boards[false])
	}
}
