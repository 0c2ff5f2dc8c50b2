package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// sharedBin builds the binary once for the tests of this file.
var sharedBin struct {
	once sync.Once
	path string
	err  error
}

func sharedBinary(t *testing.T) string {
	t.Helper()
	sharedBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "ringside-bin")
		if err != nil {
			sharedBin.err = err
			return
		}
		sharedBin.path = filepath.Join(dir, "ringside")
		if out, err := exec.Command("go", "build", "-o", sharedBin.path, ".").CombinedOutput(); err != nil {
			sharedBin.err = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if sharedBin.err != nil {
		t.Fatal(sharedBin.err)
	}
	return sharedBin.path
}

// damageConfig: one Simotel source, an admin with an API key, and no snapshot by
// count during the tests (so a kill -9 leaves the log unsnapshotted).
const damageConfig = `
snapshot_every = 1000000
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

// agentState is a Simotel NewState delivery: it makes extension ext an agent.
func agentState(ext int) string {
	return fmt.Sprintf(`{"event_name":"NewState","exten":"%d","state":"Idle"}`, ext)
}

// post delivers body to pbx1 and answers the status (0: no answer).
func post(client *http.Client, addr, body string) int {
	req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/pbx1", strings.NewReader(body))
	req.SetBasicAuth("hook", "pw")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// running is the binary on a data directory, its stderr collected.
type running struct {
	cmd    *exec.Cmd
	addr   string
	stderr *lockedBuffer
	exited chan struct{}
}

func runBinary(t *testing.T, bin, conf, data string) *running {
	t.Helper()
	r := &running{addr: freeAddr(t), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	r.cmd = exec.Command(bin, "-config", conf, "-data", data, "-listen", r.addr)
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
	return r
}

// kill ends it with SIGKILL and waits.
func (r *running) kill() {
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
}

// api GETs path with the admin's key.
func (r *running) api(t *testing.T, path string, into any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+r.addr+path, nil)
	req.Header.Set("X-APIKEY", "admin-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if into != nil {
		json.NewDecoder(resp.Body).Decode(into)
	}
	return resp.StatusCode
}

// waitReady waits for /readyz to answer 200 (or fails after limit).
func (r *running) waitReady(t *testing.T, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			t.Fatalf("exited: %s", r.stderr.String())
		default:
		}
		if resp, err := http.Get("http://" + r.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("not ready within %s: %s", limit, r.stderr.String())
}

// valueOffset is where the stored value of key in bucket starts in the file.
func valueOffset(t *testing.T, path, bucket string, key []byte) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var off int64 = -1
	db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bucket)).Get(key); len(v) > 0 {
			off = int64(uintptr(unsafe.Pointer(&v[0])) - db.Info().Data) // values live in the mmap
		}
		return nil
	})
	if off < 0 {
		t.Fatalf("%s/%x not found", bucket, key)
	}
	return off
}

// rootPage is the file offset of bucket's root page.
func rootPage(t *testing.T, path, bucket string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var root uint64
	db.View(func(tx *bolt.Tx) error { root = uint64(tx.Bucket([]byte(bucket)).Root()); return nil })
	if root == 0 {
		t.Fatalf("bucket %s is inline", bucket)
	}
	return int64(root) * int64(db.Info().PageSize)
}

func flipAt(t *testing.T, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0xff
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// TestDamagedFileAnswers is the corruption table: each damage to a database with
// 300 logged deliveries gives its clear answer. A damaged file is refused with one
// line that names it and what to do (never a runtime trace), and `ringside check`
// says so too; one unreadable event is skipped and the board applies what follows.
func TestDamagedFileAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin := sharedBinary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "ringside.toml")
	os.WriteFile(conf, []byte(damageConfig), 0o644)

	// The template: 300 agents logged, killed before any snapshot.
	tmpl := filepath.Join(dir, "template")
	r := runBinary(t, bin, conf, tmpl)
	r.waitReady(t, 30*time.Second)
	client := &http.Client{Timeout: 10 * time.Second}
	const n = 300
	for i := 0; i < n; i++ {
		if code := post(client, r.addr, agentState(1000+i)); code != 200 {
			t.Fatalf("delivery %d: %d", i, code)
		}
	}
	r.kill()
	db := filepath.Join(tmpl, "ringside.db")
	if _, err := os.Stat(db + ".held"); err != nil {
		t.Fatalf("no marker beside the database: %v", err)
	}

	const badSeq = 150 // the event of extension 1149
	cases := []struct {
		name   string
		damage func(path string)
		want   []string // in the one-line refusal; nil: starts
	}{
		{"truncated to half", func(p string) {
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()/2)
		}, []string{"truncated", "ringside check", "restore"}},
		{"truncated inside the first page", func(p string) { os.Truncate(p, 100) }, []string{"ringside check", "restore"}},
		{"zero-length file", func(p string) { os.Truncate(p, 0) }, []string{"empty", "ringside.db.held", "ringside restore"}},
		{"both meta pages flipped", func(p string) {
			flipAt(t, p, 16, 64)
			flipAt(t, p, 4096+16, 64)
		}, []string{"ringside check", "restore"}},
		{"events root page flipped", func(p string) { flipAt(t, p, rootPage(t, p, "events")+8, 2) }, []string{"damaged", "ringside check", "restore"}},
		{"a flipped byte inside one event", func(p string) { flipAt(t, p, valueOffset(t, p, "events", seqKey(badSeq))+8, 1) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			os.MkdirAll(data, 0o750)
			for _, f := range []string{"ringside.db", "ringside.db.held", "generated.toml"} {
				if b, err := os.ReadFile(filepath.Join(tmpl, f)); err == nil {
					os.WriteFile(filepath.Join(data, f), b, 0o600)
				}
			}
			path := filepath.Join(data, "ringside.db")
			tc.damage(path)
			if tc.want == nil {
				appliesAfterBadEvent(t, bin, conf, data, badSeq, n)
				return
			}
			r := runBinary(t, bin, conf, data)
			select {
			case <-r.exited:
			case <-time.After(60 * time.Second):
				r.kill()
				t.Fatalf("started on a damaged file: %s", r.stderr.String())
			}
			msg := strings.TrimSpace(r.stderr.String())
			if code := r.cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine ") {
				t.Errorf("not a one-line answer:\n%s", msg)
			}
			for _, w := range append([]string{path}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("answer lacks %q: %s", w, msg)
				}
			}
			if tc.name != "zero-length file" {
				out, err := exec.Command(bin, "check", "-data", data).CombinedOutput()
				if err == nil || bytes.Contains(out, []byte("goroutine ")) || strings.Count(strings.TrimSpace(string(out)), "\n") > 0 {
					t.Errorf("ringside check on it: %v\n%s", err, out)
				}
			}
			t.Logf("%s", msg)
		})
	}
}

// appliesAfterBadEvent starts on a log whose event badSeq is unreadable: the board
// skips it (logged with its seq, counted in /readyz) and applies every other of the
// n logged agents and a new delivery.
func appliesAfterBadEvent(t *testing.T, bin, conf, data string, badSeq, n int) {
	r := runBinary(t, bin, conf, data)
	defer r.kill()
	r.waitReady(t, 60*time.Second)
	if code := post(&http.Client{Timeout: 10 * time.Second}, r.addr, agentState(5000)); code != 200 {
		t.Fatalf("new delivery: %d", code)
	}
	var agents struct {
		Data []struct{ ID string }
	}
	want := n // n-1 logged ones readable, and the new one
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r.api(t, "/api/v1/agents", &agents); len(agents.Data) >= want {
			break
		}
	}
	have := map[string]bool{}
	for _, a := range agents.Data {
		have[a.ID] = true
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("pbx1:%d", 1000+i)
		if i+1 == badSeq && have[id] {
			t.Errorf("%s, from the damaged event, is on the board", id)
		}
		if i+1 != badSeq && !have[id] {
			t.Errorf("%s missing: the board did not apply past the damaged event", id)
		}
	}
	if !have["pbx1:5000"] {
		t.Error("the delivery after the restart is not on the board")
	}
	var ready struct{ Skipped int }
	if code := r.api(t, "/readyz", &ready); code != 200 || ready.Skipped != 1 {
		t.Errorf("/readyz: %d, skipped %d", code, ready.Skipped)
	}
	if log := r.stderr.String(); !strings.Contains(log, "skipped a stored event") || !strings.Contains(log, fmt.Sprintf("seq=%d", badSeq)) {
		t.Errorf("no error log line naming seq %d:\n%s", badSeq, log)
	}
}
