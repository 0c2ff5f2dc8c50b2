package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ringside/store"
)

// TestKill9LosesNoAcknowledgedDelivery runs the real binary, sends it concurrent
// deliveries, kills it with SIGKILL mid-stream, and checks that every delivery that got
// a 2xx is in the log after restart.
func TestKill9LosesNoAcknowledgedDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	addr := freeAddr(t)
	conf := filepath.Join(dir, "ringside.toml")
	os.WriteFile(conf, []byte(`
[[sources]]
name = "sipsim"
vendor = "sipsim"
token = "tok"
rate_limit = -1
[[users]]
name = "admin"
password = "pw"
role = "admin"
`), 0o644)
	data := filepath.Join(dir, "data")
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-config", conf, "-data", data, "-listen", addr)
		cmd.Stdout, cmd.Stderr = nil, nil
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitUp(t, "http://"+addr+"/healthz")
		return cmd
	}
	cmd := start()

	var mu sync.Mutex
	acked := map[string]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 5000; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				body := `{"event":"incoming_call_start","pbx_id":"` + id + `","caller":"375291112233","receiver":"100"}`
				resp, err := client.Post("http://"+addr+"/hooks/sipsim?token=tok", "application/json", strings.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	// kill once a good number of deliveries were acknowledged
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 1500 || ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	cancel()
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n < 100 {
		t.Fatalf("only %d deliveries acknowledged before the kill", n)
	}

	// restart: the server comes up on the same file, then check the log itself
	cmd = start()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	st, err := store.Open(filepath.Join(data, "ringside.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logged := map[string]bool{}
	for after := uint64(0); ; {
		evs, err := st.Events(after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			logged[strings.TrimPrefix(e.Call, "sipsim:")] = true
		}
		after = evs[len(evs)-1].Seq
	}
	lost := 0
	for id := range acked {
		if !logged[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged deliveries are missing after kill -9", lost, n)
	}
	t.Logf("killed after %d acknowledged deliveries; all %d in the log (%d logged in all)", n, n, len(logged))
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitUp(t *testing.T, url string) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server at %s did not come up", url)
}
