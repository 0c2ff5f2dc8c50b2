package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
)

// TestEmptyFileThatHeldDataIsRefused: a 0-byte file where a database with events was
// is refused with one line naming the file and the remedies; a first start (no file,
// or an empty file that never held data) opens.
func TestEmptyFileThatHeldDataIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ringside.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{NoSync: true}) // empty, never held data: a first start
	if err != nil {
		t.Fatalf("a fresh empty file: %v", err)
	}
	if _, err := os.Stat(heldMarker(path)); err == nil {
		t.Fatal("marker written for a database without events")
	}
	ev := call.Event{Source: "s", Call: "c", Type: call.CallOffered, At: time.Now(), ReceivedAt: time.Now()}
	if _, err := s.Append(context.Background(), Delivery{Source: "s", Method: "POST", Body: []byte("{}")}, []call.Event{ev}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{NoSync: true})
	if err == nil {
		t.Fatal("an empty file that replaced a database with events opened as a fresh start")
	}
	msg := err.Error()
	for _, want := range []string{path, "empty", "at least 1 events", "ringside restore", "ringside check", heldMarker(path)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is more than one line: %q", msg)
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Errorf("the refused file was written to (%d bytes)", fi.Size())
	}
	os.Remove(heldMarker(path)) // the operator's choice: start with no data
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("after deleting the marker: %v", err)
	}
	s.Close()
}
