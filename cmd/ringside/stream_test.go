package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
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

// streamConfig snapshots often, so restarts restore a snapshot and replay the rest.
const streamConfig = `
snapshot_every = 300
[[sources]]
name = "pbx1"
vendor = "simotel"
username = "hook"
password = "pw"
rate_limit = -1
[[users]]
name = "admin"
password = "adminpw"
role = "admin"
api_key = "admin-key"
`

// cdrDelivery is a Simotel Cdr (keyed by its unique_id: a retry is deduplicated)
// answered by extension ext.
func cdrDelivery(id string, ext int) string {
	now := time.Now()
	return fmt.Sprintf(`{"event_name":"Cdr","unique_id":%q,"src":"0912%07d","dst":"%d","type":"incoming","disposition":"ANSWERED",`+
		`"starttime":%q,"endtime":%q,"duration":30,"billsec":25,"wait":5}`, id, now.UnixNano()%10000000, ext,
		now.Add(-30*time.Second).Format("2006-01-02 15:04:05.000000"), now.Format("2006-01-02 15:04:05.000000"))
}

// stream posts deliveries from workers until stopped, as a vendor would: a delivery
// is retried only when the connection fails; any HTTP answer but 200 is a refusal,
// and no answer within the client's timeout is an unanswered delivery.
type stream struct {
	addr       string
	stop       chan struct{}
	wg         sync.WaitGroup
	mu         sync.Mutex
	acked      map[string]bool // Cdr ids answered 200
	refused    []string        // "id: status"
	unanswered atomic.Int64
	connErrs   atomic.Int64
	lastOK     atomic.Int64 // Unix ns of the latest 200
}

func startStream(addr string, workers int, prefix string) *stream {
	s := &stream{addr: addr, stop: make(chan struct{}), acked: map[string]bool{}}
	for w := 0; w < workers; w++ {
		s.wg.Add(1)
		go s.worker(fmt.Sprintf("%s%d", prefix, w))
	}
	return s
}

func (s *stream) worker(name string) {
	defer s.wg.Done()
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-s.stop:
			return
		default:
		}
		id := fmt.Sprintf("%s-%d", name, i)
		body := cdrDelivery(id, 100+i%20)
		if i%4 == 3 {
			id, body = "", agentState(100+i%20) // keyless state changes between the records
		}
		s.deliver(client, id, body)
	}
}

// deliver sends one delivery until it is answered (retrying connection failures).
func (s *stream) deliver(client *http.Client, id, body string) {
	for {
		req, _ := http.NewRequest("POST", "http://"+s.addr+"/hooks/pbx1", strings.NewReader(body))
		req.SetBasicAuth("hook", "pw")
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			s.unanswered.Add(1)
			return
		case err != nil: // refused, reset, closed: the vendor retries
			s.connErrs.Add(1)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		resp.Body.Close()
		s.mu.Lock()
		if resp.StatusCode == 200 {
			if id != "" {
				s.acked[id] = true
			}
			s.lastOK.Store(time.Now().UnixNano())
		} else {
			s.refused = append(s.refused, fmt.Sprintf("%s: %d", id, resp.StatusCode))
		}
		s.mu.Unlock()
		return
	}
}

func (s *stream) end() {
	close(s.stop)
	s.wg.Wait()
}

// ackedSince waits until a delivery is answered 200 after t, and says how long after t.
func (s *stream) ackedSince(t time.Time, limit time.Duration) (time.Duration, bool) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok := s.lastOK.Load(); ok > t.UnixNano() {
			return time.Duration(ok - t.UnixNano()), true
		}
	}
	return 0, false
}

// logCounts reads the whole log through the API: how many CallRecord events each call has.
func logCounts(t *testing.T, api apiClient) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for after := uint64(0); ; {
		var env struct {
			Data []struct {
				Seq  uint64
				Call string
				Type string
			}
		}
		code, b := api.do("GET", fmt.Sprintf("/api/v1/events?after=%d&limit=1000", after), "")
		if err := json.Unmarshal(b, &env); err != nil || code != 200 {
			t.Fatalf("events: %d %.300s", code, b)
		}
		if len(env.Data) == 0 {
			return counts
		}
		for _, e := range env.Data {
			if e.Type == "call.record" {
				counts[strings.TrimPrefix(e.Call, "pbx1:")]++
			}
		}
		after = env.Data[len(env.Data)-1].Seq
	}
}

// lostAndDuplicated compares the acknowledged Cdr ids with the log.
func lostAndDuplicated(acked map[string]bool, counts map[string]int) (lost, dup int) {
	for id := range acked {
		if counts[id] == 0 {
			lost++
		}
	}
	for _, n := range counts {
		if n > 1 {
			dup += n - 1
		}
	}
	return lost, dup
}

// TestStreamAcrossRestarts runs the real binary under a continuous webhook stream and
// restarts it twice with SIGTERM and twice with kill -9: no delivery is refused or
// left unanswered (the stream retries only failed connections), every acknowledged
// delivery is in the log once, and after catching up the board equals the board
// before a restart (after SIGTERM and after kill -9).
func TestStreamAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin := sharedBinary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "ringside.toml")
	os.WriteFile(conf, []byte(streamConfig), 0o644)
	data := filepath.Join(dir, "data")
	r := runBinary(t, bin, conf, data)
	defer func() { r.kill() }()
	r.waitReady(t, 30*time.Second)
	addr := r.addr

	s := startStream(addr, 4, "w")
	restart := func(sig syscall.Signal) {
		r.cmd.Process.Signal(sig)
		select {
		case <-r.exited:
		case <-time.After(30 * time.Second):
			t.Fatalf("no exit within 30 s of %v", sig)
		}
		signalled := time.Now()
		r = runOn(t, bin, conf, data, addr)
		ack, ok := s.ackedSince(signalled, 30*time.Second)
		if !ok {
			t.Fatalf("no delivery acknowledged within 30 s after %v: %s", sig, r.stderr.String())
		}
		t.Logf("%v: first acknowledgement %v after the old process exited", sig, ack.Round(time.Millisecond))
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL, syscall.SIGTERM, syscall.SIGKILL} {
		time.Sleep(time.Second)
		restart(sig)
	}
	time.Sleep(time.Second)
	s.end()
	r.waitReady(t, 60*time.Second)

	api := apiClient{t: t, base: "http://" + addr, c: &http.Client{Timeout: 20 * time.Second}}
	counts := logCounts(t, api)
	lost, dup := lostAndDuplicated(s.acked, counts)
	t.Logf("%d records acknowledged, %d connection failures retried; refused %d, unanswered %d, lost %d, duplicated %d; log at seq %d",
		len(s.acked), s.connErrs.Load(), len(s.refused), s.unanswered.Load(), lost, dup, api.seq())
	if len(s.refused) > 0 || s.unanswered.Load() > 0 {
		t.Errorf("refused: %v; unanswered: %d", s.refused[:min(len(s.refused), 10)], s.unanswered.Load())
	}
	if lost > 0 || dup > 0 {
		t.Errorf("acknowledged deliveries lost %d, duplicated %d", lost, dup)
	}
	if len(s.acked) < 100 {
		t.Errorf("only %d records acknowledged: the stream hardly ran", len(s.acked))
	}

	before := api.settled(nil)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		r.cmd.Process.Signal(sig)
		<-r.exited
		r = runOn(t, bin, conf, data, addr)
		r.waitReady(t, 60*time.Second)
		if after := api.settled(nil); !equalBoards(before, after) {
			t.Errorf("after %v the board differs:\n%s", sig, diffBoards(before, after))
		}
	}
}

// runOn starts the binary on addr (the address the stream posts to).
func runOn(t *testing.T, bin, conf, data, addr string) *running {
	t.Helper()
	r := &running{addr: addr, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	r.cmd = exec.Command(bin, "-config", conf, "-data", data, "-listen", addr)
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
	return r
}

// TestCrashLoopLosesNothing is the crash loop's short form: 20 rounds of kill -9 under
// a continuous keyed stream, each killing the binary soon after it acknowledged its
// first delivery; acknowledged deliveries lost 0, duplicated 0 (the long form is the
// bench's -crash-rounds).
func TestCrashLoopLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	const rounds = 20
	bin := sharedBinary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "ringside.toml")
	os.WriteFile(conf, []byte(streamConfig), 0o644)
	data := filepath.Join(dir, "data")
	r := runBinary(t, bin, conf, data)
	defer func() { r.kill() }()
	addr := r.addr
	s := startStream(addr, 4, "c")
	for i := 0; i < rounds; i++ {
		started := time.Now()
		if _, ok := s.ackedSince(started, 60*time.Second); !ok {
			t.Fatalf("round %d: nothing acknowledged within 60 s: %s", i, r.stderr.String())
		}
		time.Sleep(time.Duration(50+i*37%200) * time.Millisecond) // kill at varying points
		r.kill()
		r = runOn(t, bin, conf, data, addr)
	}
	time.Sleep(500 * time.Millisecond)
	s.end()
	r.waitReady(t, 60*time.Second)
	api := apiClient{t: t, base: "http://" + addr, c: &http.Client{Timeout: 20 * time.Second}}
	lost, dup := lostAndDuplicated(s.acked, logCounts(t, api))
	t.Logf("%d kill -9 rounds: %d records acknowledged, %d connection failures retried; refused %d, unanswered %d; lost %d, duplicated %d",
		rounds, len(s.acked), s.connErrs.Load(), len(s.refused), s.unanswered.Load(), lost, dup)
	if lost > 0 || dup > 0 {
		t.Errorf("acknowledged deliveries lost %d, duplicated %d", lost, dup)
	}
	if len(s.refused) > 0 || s.unanswered.Load() > 0 {
		t.Errorf("refused: %v; unanswered: %d", s.refused[:min(len(s.refused), 10)], s.unanswered.Load())
	}
}
