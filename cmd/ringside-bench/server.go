package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one Ringside server under test: a child process we started, or the
// server given by -url (cmd is nil then).
type server struct {
	name, base, addr string
	data             string // data directory (child only)
	pid              int
	mk               func() *exec.Cmd // makes the command, for each (re)start
	cmd              *exec.Cmd
	exited           chan struct{} // closed when the child has exited
	logPath          string
}

// buildServer compiles ./cmd/ringside into dir, unless -bin names a binary.
func buildServer(ctx context.Context, o *options, dir string) (string, error) {
	if o.bin != "" {
		return o.bin, nil
	}
	out := filepath.Join(dir, "ringside")
	o.progress("building ringside/cmd/ringside")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "ringside/cmd/ringside")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ringside/cmd/ringside (run inside the module, or pass -bin): %w", err)
	}
	return out, nil
}

// freeAddr finds a loopback port nobody listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startChild starts the binary with a config for data dir data (created if missing)
// and waits until it answers /healthz.
func startChild(ctx context.Context, b *bench, name, data string) (*server, error) {
	s, err := newChild(b, name, data)
	if err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	if err := s.waitHealthy(ctx, 2*time.Minute); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// newChild prepares a server child (its config, data dir and log) without starting it.
func newChild(b *bench, name, data string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(b.dir, name+".toml")
	if err := os.WriteFile(cfgPath, []byte(b.creds.toml(addr, data)), 0o600); err != nil {
		return nil, err
	}
	s := &server{name: name, base: "http://" + addr, addr: addr, data: data, logPath: filepath.Join(b.dir, name+".log")}
	s.mk = func() *exec.Cmd {
		cmd := exec.Command(b.bin, "-config", cfgPath)
		for _, kv := range os.Environ() { // the generated config is the whole configuration
			if !strings.HasPrefix(kv, "RINGSIDE_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		return cmd
	}
	return s, nil
}

// start starts (or restarts, after a kill) the process; its output goes to the log
// file, appended across restarts.
func (s *server) start() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := s.mk()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	s.cmd, s.pid, s.exited = cmd, cmd.Process.Pid, make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}(s.exited)
	return nil
}

var errExited = errors.New("server exited")

// waitHealthy polls /healthz until it answers 200 (and "ready", once the server
// reports readiness there).
func (s *server) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if ok, _ := s.healthy(); ok {
			return nil
		}
		if err := s.pause(ctx, 5*time.Millisecond); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no healthy /healthz within %s (log: %s)", s.name, limit, s.tail())
		}
	}
}

var quickClient = &http.Client{Timeout: 10 * time.Second}

func (s *server) healthy() (bool, error) {
	resp, err := quickClient.Get(s.base + "/healthz")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var h struct {
		Ready *bool `json:"ready"`
	}
	err = json.NewDecoder(resp.Body).Decode(&h)
	return resp.StatusCode == 200 && err == nil && (h.Ready == nil || *h.Ready), nil
}

// pause sleeps d, failing early if ctx ends or the child died.
func (s *server) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.exited:
		return fmt.Errorf("%s: %w (log: %s)", s.name, errExited, s.tail())
	case <-t.C:
		return nil
	}
}

// stop asks the child to shut down and waits; it is killed after 30 s.
func (s *server) stop() {
	if s == nil || s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.kill()
	}
}

// kill is kill -9, and waits for the process to be gone.
func (s *server) kill() {
	if s == nil || s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// tail is the end of the child's log, for error messages.
func (s *server) tail() string {
	if s.logPath == "" {
		return "none"
	}
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.TrimSpace(string(b))
}

// memUse is a process's resident memory in MiB: total, anonymous, file-backed (bbolt's
// map of the file) and the peak total since it started (VmHWM).
type memUse struct{ rss, anon, file, peak float64 }

// memory reads the process's resident memory from /proc.
func memory(pid int) (memUse, error) {
	var m memUse
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			m.rss = kb / 1024
		case "RssAnon":
			m.anon = kb / 1024
		case "RssFile":
			m.file = kb / 1024
		case "VmHWM":
			m.peak = kb / 1024
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, sc.Err()
}

// cpuTime is the CPU time (user + system) process pid has used; pid 0 is this process.
func cpuTime(pid int) time.Duration {
	path := "/proc/self/stat"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// Fields after the command (which may hold spaces) start at the last ')'; utime
	// and stime are the 14th and 15th fields, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// machineBusy is the CPU time all processes of the machine have used (every core's
// busy time in /proc/stat): minus the server's and this process's, it is the other
// work that competed with the measurement.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// loadAvg is the machine's one-minute load average: other work on the machine skews
// every figure.
func loadAvg() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// raiseFileLimit lifts the soft open-files limit to the hard one: 10,000 sockets need
// as many descriptors here, and the server child inherits the limit.
func raiseFileLimit() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	}
	return l.Cur
}

// drain reads and closes a response body so its connection is reused.
func drain(r io.ReadCloser) {
	_, _ = io.Copy(io.Discard, r)
	r.Close()
}
