package server

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink the server's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// smallDisk mounts a tmpfs of size bytes at a new directory and unmounts it when the
// test ends. It skips the test where mounting is not allowed (not root, no tmpfs).
func smallDisk(t *testing.T, size int) string {
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a small tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes a file in dir until the filesystem is full and returns it.
func fillDisk(t *testing.T, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatal(err)
			}
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last blocks too
		for {
			if _, err := f.Write(make([]byte, n)); err != nil {
				break
			}
		}
	}
	return path
}

// TestDiskFull runs the server on a small disk that fills up while calls end: what it
// acknowledged is in the log, and once space returns every ended call has its CDR
// without anyone doing anything (the CDR writer retries, then checks the log).
func TestDiskFull(t *testing.T) {
	dir := smallDisk(t, 48<<20)
	cfg := testConfig(t)
	cfg.Data = dir
	logs := &lockedBuffer{}
	e := startEnvLog(t, cfg, nil, logs)
	<-e.srv.Ready()
	acked := map[string]bool{}
	refused := 0
	post := func(round, i int) {
		id := fmt.Sprintf("full-%d-%d", round, i)
		start := time.Now().Add(-time.Minute).UTC()
		body := fmt.Sprintf(`{"event_name":"Cdr","unique_id":%q,"src":"0912%07d","dst":"991","type":"incoming","disposition":"ANSWERED",`+
			`"starttime":%q,"endtime":%q,"duration":60,"billsec":50,"wait":10}`,
			id, round*1000+i, start.Format("2006-01-02 15:04:05.000000"), start.Add(time.Minute).Format("2006-01-02 15:04:05.000000"))
		switch code, resp := e.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code {
		case 200:
			acked["pbx1:"+id] = true
		case 503:
			refused++
		default:
			t.Fatalf("%s: %d %s", id, code, resp)
		}
	}
	for i := range 20 {
		post(0, i)
	}
	// A call ends, and the disk fills before the CDR writer's next transaction (it
	// gathers for cdrLinger first); more deliveries meet the full disk. Again, should
	// the writer have been quicker than the fill.
	var filler string
	failed := false
	for attempt := 0; attempt < 5 && !failed; attempt++ {
		if filler != "" {
			os.Remove(filler)
		}
		post(1, attempt)
		filler = fillDisk(t, dir)
		for round := 2; round < 4; round++ {
			for i := range 20 {
				post(round, attempt*100+i)
			}
		}
		time.Sleep(2 * cdrLinger)
		failed = strings.Contains(logs.String(), "storing CDRs failed") || strings.Contains(logs.String(), "updating report buckets failed")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		post(6, i)
	}
	t.Logf("%d deliveries acknowledged, %d refused while the disk was full; CDR writes failed: %v", len(acked), refused, failed)
	if !failed || refused == 0 {
		t.Fatalf("the disk never got full enough to fail a write (CDR write failed %v, %d refused): the test proves nothing\n%s", failed, refused, logs.String())
	}
	// every acknowledged delivery is in the log
	logged := map[string]bool{}
	for _, ev := range e.events() {
		logged[ev.Call] = true
	}
	for id := range acked {
		if !logged[id] {
			t.Errorf("acknowledged %s is not in the log", id)
		}
	}
	// every ended call gets its CDR, without a restart or a manual step
	deadline := time.Now().Add(90 * time.Second)
	for {
		missing := 0
		for id := range acked {
			if _, ok, err := e.st.CDR(id); err != nil || !ok {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d ended calls have no CDR 90 s after space returned\n%s", missing, len(acked), logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
}
