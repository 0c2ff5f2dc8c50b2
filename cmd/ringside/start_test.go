package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startedBinary is a running ringside whose stdout is collected line by line.
type startedBinary struct {
	cmd   *exec.Cmd
	lines chan string
	out   strings.Builder
}

// stopBinary ends a started binary with SIGTERM, and reports one that does not stop
// within 30 s (then kills it, so the test run goes on).
func stopBinary(t *testing.T, cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30 s of SIGTERM", cmd.Path)
		cmd.Process.Kill()
		<-done
	}
}

// startBinary runs bin with args in dir and returns once the banner's blank closing
// line was printed (or fails the test after 20 s).
func startBinary(t *testing.T, bin, dir string, env []string, args ...string) *startedBinary {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &startedBinary{cmd: cmd, lines: make(chan string, 1000)}
	t.Cleanup(func() { stopBinary(t, cmd) })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			b.lines <- sc.Text()
		}
		close(b.lines)
	}()
	deadline := time.After(20 * time.Second)
	blanks := 0
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				t.Fatalf("exited before its banner ended:\n%s", b.out.String())
			}
			b.out.WriteString(l + "\n")
			if l == "" {
				blanks++
			}
			if blanks == 3 { // after the header, the sources and the logins
				return b
			}
		case <-deadline:
			t.Fatalf("no banner:\n%s", b.out.String())
		}
	}
}

// TestBannerAfterBindSecretsOnce: the "listening" line is printed when the port
// already answers; secrets are printed on the start that generated them and never
// again.
func TestBannerAfterBindSecretsOnce(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	addr := freeAddr(t)
	first := startBinary(t, bin, dir, []string{"RINGSIDE_LISTEN=" + addr})
	if !strings.Contains(first.out.String(), "listening on "+addr) {
		t.Fatalf("banner does not name the bound address:\n%s", first.out.String())
	}
	// printed after the bind: a connection succeeds with no retry
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("banner printed but the port refuses: %v", err)
	}
	conn.Close()
	gen, err := os.ReadFile(filepath.Join(dir, "data", "generated.toml"))
	if err != nil {
		t.Fatal(err)
	}
	secret := between(string(gen), `name = "admin"`, `password = "`, `"`)
	if secret == "" || !strings.Contains(first.out.String(), secret) {
		t.Fatalf("first start did not print the generated admin password %q:\n%s", secret, first.out.String())
	}
	stopBinary(t, first.cmd)

	second := startBinary(t, bin, dir, []string{"RINGSIDE_LISTEN=" + addr})
	text := second.out.String()
	if strings.Contains(text, secret) || strings.Contains(text, "token=") || strings.Contains(text, "Basic auth") {
		t.Fatalf("second start printed secrets:\n%s", text)
	}
	if !strings.Contains(text, "generated.toml") || !strings.Contains(text, "/hooks/simotel") {
		t.Fatalf("second start should name the hooks and where the secrets are:\n%s", text)
	}
}

// between finds, after the marker `after`, the text between open and close.
func between(s, after, open, close string) string {
	i := strings.Index(s, after)
	if i < 0 {
		return ""
	}
	s = s[i:]
	j := strings.Index(s, open)
	if j < 0 {
		return ""
	}
	s = s[j+len(open):]
	k := strings.Index(s, close)
	if k < 0 {
		return ""
	}
	return s[:k]
}

// TestVersionDoesNotStartTheServer: `ringside version` and `-version` print and exit
// at once, binding nothing and creating no data directory; the running server reports
// the same version on /healthz.
func TestVersionDoesNotStartTheServer(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	var printed string
	for _, args := range [][]string{{"version"}, {"-version"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "RINGSIDE_LISTEN=127.0.0.1:1") // would fail to bind
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.HasPrefix(string(out), "ringside ") {
			t.Fatalf("%v printed %q", args, out)
		}
		printed = strings.TrimSpace(strings.TrimPrefix(string(out), "ringside "))
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatalf("version created a data directory (%v)", err)
	}
	addr := freeAddr(t)
	startBinary(t, bin, dir, []string{"RINGSIDE_LISTEN=" + addr})
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct{ Version string }
	json.NewDecoder(resp.Body).Decode(&h)
	if h.Version == "" || h.Version != printed {
		t.Fatalf("/healthz version %q, `ringside version` printed %q", h.Version, printed)
	}
}

// TestDemoKeepsItsOwnData: -demo writes to ./data-demo and says so; the real data
// directory is not created. With -data given, that one is used.
func TestDemoKeepsItsOwnData(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary with simulated traffic")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	b := startBinary(t, bin, dir, []string{"RINGSIDE_LISTEN=" + freeAddr(t)}, "-demo")
	text := b.out.String()
	if !strings.Contains(text, "Demo mode") || !strings.Contains(text, "data-demo") {
		t.Fatalf("demo start does not say where its data goes:\n%s", text)
	}
	if _, err := os.Stat(filepath.Join(dir, "data-demo", "ringside.db")); err != nil {
		t.Fatalf("data-demo/ringside.db: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatalf("demo touched ./data (%v)", err)
	}
	stopBinary(t, b.cmd)
	chosen := filepath.Join(dir, "chosen")
	addr := freeAddr(t)
	b = startBinary(t, bin, dir, []string{"RINGSIDE_LISTEN=" + addr}, "-demo", "-data", chosen)
	if !strings.Contains(b.out.String(), "the data directory you chose") {
		t.Fatalf("demo with -data does not say so:\n%s", b.out.String())
	}
	if _, err := os.Stat(filepath.Join(chosen, "ringside.db")); err != nil {
		t.Fatal(err)
	}

	// a reload keeps the demo's simulated people and its agent login
	gen, _ := os.ReadFile(filepath.Join(chosen, "generated.toml"))
	key := between(string(gen), `name = "admin"`, `api_key = "`, `"`)
	agents := func() map[string]bool {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/agents", nil)
		req.Header.Set("X-APIKEY", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct{ Data []struct{ ID string } }
		json.NewDecoder(resp.Body).Decode(&env)
		ids := map[string]bool{}
		for _, a := range env.Data {
			ids[a.ID] = true
		}
		return ids
	}
	before := agents()
	if len(before) == 0 {
		t.Fatal("the demo shows no agents")
	}
	b.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(time.Second) // the reload is logged, not answered; give it its moment
	after := agents()
	for id := range before {
		if !after[id] {
			t.Fatalf("after a reload the demo's agent %q is gone (the directory was lost)", id)
		}
	}
	if !strings.Contains(b.out.String(), "agent (agent) password") {
		t.Fatalf("the demo's agent login was not printed:\n%s", b.out.String())
	}
	pass := between(b.out.String(), "agent (agent)", "password ", "\n")
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/calls", nil)
	req.SetBasicAuth("agent", pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		t.Fatal("after a reload the demo's agent login is unknown")
	}
}

// TestListensOnIPv6: an IPv6 listen address works (fiber's own Listen is IPv4-only).
func TestListensOnIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	startBinary(t, bin, dir, nil, "-listen", addr)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/healthz over IPv6: %d", resp.StatusCode)
	}
}

// TestJSONLogs: with log_format = "json" every log line is one JSON object.
func TestJSONLogs(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	conf := filepath.Join(dir, "ringside.toml")
	os.WriteFile(conf, []byte("log_format = \"json\"\n"), 0o644)
	addr := freeAddr(t)
	cmd := exec.Command(bin, "-config", conf, "-listen", addr, "-data", filepath.Join(dir, "data"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitUp(t, "http://"+addr+"/healthz")
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) < 2 { // "listening" and "shutting down" at least
		t.Fatalf("too few log lines: %q", stderr.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] == nil || m["level"] == nil {
			t.Fatalf("not a JSON log line: %q", l)
		}
	}
}
