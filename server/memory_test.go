package server

import (
	"runtime/debug"
	"testing"
)

// Once caught up, the server keeps within memory_limit_mb: Go's soft limit is the
// budget while the board is small, and follows the live heap when it is not.
func TestMemoryLimitOnceCaughtUp(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1)) // the test binary's own limit, back after
	cfg := testConfig(t)
	cfg.MemoryLimitMB = 300
	e := startEnv(t, cfg)
	<-e.srv.Ready()
	e.srv.board.limitMemory() // as every minute
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Fatalf("soft memory limit %d MiB, want 300", got>>20)
	}
	if got := memoryLimit(300<<20, 400<<20); got != 500<<20 {
		t.Errorf("a 400 MiB live heap under a 300 MiB budget: limit %d MiB, want 500", got>>20)
	}
	cfg.MemoryLimitMB = -1
	debug.SetMemoryLimit(1 << 40)
	e.srv.board.cfg = cfg
	e.srv.board.limitMemory()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("memory_limit_mb = -1 changed the limit to %d MiB", got>>20)
	}
}
