package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestZeroConfigStart runs the binary as a new user would (no flags, no config file) in
// an empty directory: it must print the webhook URLs with credentials and the admin
// login, and create data/ringside.db. Only the port is moved off :8080 to avoid clashes.
func TestZeroConfigStart(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RINGSIDE_LISTEN="+addr)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	var printed strings.Builder
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			printed.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "admin (admin) password") {
				close(done)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("no welcome printed:\n%s", printed.String())
	}
	waitUp(t, "http://"+addr+"/healthz")
	text := printed.String()
	for _, want := range []string{"/hooks/simotel", "/hooks/voipex", "/hooks/cloudcdr?token=", "/hooks/sipsim?token=", "Basic auth simotel / "} {
		if !strings.Contains(text, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, text)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "ringside.db")); err != nil {
		t.Errorf("data/ringside.db not created: %v", err)
	}
}

// buildBinary builds this command into dir, as the tests run the real binary.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ringside")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
