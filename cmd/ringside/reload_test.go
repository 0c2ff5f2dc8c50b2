package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const reloadBase = `
[[sources]]
name = "sipsim"
vendor = "sipsim"
token = "tok"
rate_limit = -1
[[users]]
name = "admin"
password = "adminpw"
role = "admin"
api_key = "admin-key"
[[agents]]
id = "first"
name = "First Agent"
match = ["sipsim:200"]
`

// TestSIGHUPReload: the binary re-reads its file on SIGHUP while a webhook stream goes
// on: a new agent, a renamed queue and a new source show at once, and no delivery is
// refused. A bad file is refused with its line in the log, and the running
// configuration stays.
func TestSIGHUPReload(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	addr := freeAddr(t)
	conf := filepath.Join(dir, "ringside.toml")
	write := func(text string) {
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadBase + "[[queues]]\nid = \"sipsim:100\"\nname = \"Sales\"\n")
	cmd := exec.Command(bin, "-config", conf, "-data", filepath.Join(dir, "data"), "-listen", addr)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	base := "http://" + addr
	waitUp(t, base+"/healthz")
	api := apiClient{t: t, base: base, c: &http.Client{Timeout: 5 * time.Second}}

	// the stream: calls queue at 100, one delivery after the other, like a PBX
	var acked, refused atomic.Int64
	var firstRefusal atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			body := fmt.Sprintf(`{"event":"incoming_call_start","pbx_id":"r%d","caller":"37529%07d","receiver":"100"}`, i, i)
			resp, err := client.Post(base+"/hooks/sipsim?token=tok", "application/json", strings.NewReader(body))
			if err != nil {
				refused.Add(1)
				firstRefusal.CompareAndSwap(nil, err.Error())
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == 200 {
				acked.Add(1)
			} else {
				refused.Add(1)
				firstRefusal.CompareAndSwap(nil, resp.Status)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	queueName := func() string {
		_, b := api.do("GET", "/api/v1/queues", "")
		var env struct{ Data []struct{ ID, Name string } }
		json.Unmarshal(b, &env)
		for _, q := range env.Data {
			if q.ID == "sipsim:100" {
				return q.Name
			}
		}
		return ""
	}
	hasAgent := func(id string) bool {
		_, b := api.do("GET", "/api/v1/agents", "")
		var env struct{ Data []struct{ ID string } }
		json.Unmarshal(b, &env)
		for _, a := range env.Data {
			if a.ID == id {
				return true
			}
		}
		return false
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20 s\nlog:\n%s", what, stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	eventually("queue named Sales", func() bool { return queueName() == "Sales" })
	if hasAgent("second") {
		t.Fatal("agent second exists before the reload")
	}
	cloudHook := func() int {
		resp, err := http.Post(base+"/hooks/cloud?token=tok-cloud", "application/json",
			strings.NewReader(`{"callId":"x1","event":"CHANNEL_CREATE"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := cloudHook(); code != 404 {
		t.Fatalf("source cloud before the reload: %d, want 404", code)
	}

	before := acked.Load()
	write(reloadBase + `[[agents]]
id = "second"
name = "Second Agent"
match = ["sipsim:201"]
[[queues]]
id = "sipsim:100"
name = "Support"
[[sources]]
name = "cloud"
vendor = "cloudcdr"
token = "tok-cloud"
`)
	cmd.Process.Signal(syscall.SIGHUP)
	eventually("agent second after SIGHUP", func() bool { return hasAgent("second") })
	eventually("queue renamed Support after SIGHUP", func() bool { return queueName() == "Support" })
	if code := cloudHook(); code == 404 {
		t.Fatal("the new source cloud is still unknown after the reload")
	}
	eventually("deliveries acknowledged after the reload", func() bool { return acked.Load() > before+20 })

	// a bad file: refused, logged with its line, the running configuration stays
	write(reloadBase + "[[sources]]\nname = \"x\"\nvendor = \"nosuchvendor\"\ntoken = \"t\"\n")
	cmd.Process.Signal(syscall.SIGHUP)
	eventually("the bad file refused in the log", func() bool {
		log := stderr.String()
		return strings.Contains(log, "reload refused") && strings.Contains(log, "ringside.toml:") && strings.Contains(log, "nosuchvendor")
	})
	if !hasAgent("second") || queueName() != "Support" {
		t.Fatal("a refused file changed the running configuration")
	}
	mid := acked.Load()
	eventually("deliveries acknowledged after the refused reload", func() bool { return acked.Load() > mid+20 })
	if n := refused.Load(); n != 0 {
		t.Fatalf("%d deliveries refused or unanswered during reloads (first: %v)", n, firstRefusal.Load())
	}
	t.Logf("%d deliveries acknowledged, none refused, across two reloads", acked.Load())
}
