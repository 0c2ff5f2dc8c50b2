package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
)

// TestInspectAndRestore: check accepts a good file and names what is wrong with a bad
// one; restore refuses a running server's file and keeps the one it replaces.
func TestInspectAndRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "ringside.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		d := Delivery{Source: "s", Method: "POST", Body: []byte(strings.Repeat("x", 100)), ReceivedAt: time.Now(), Key: string(rune('a'+i%26)) + string(rune('a'+i/26))}
		if _, err := s.Append(context.Background(), d, []call.Event{{Source: "s", Call: "c", Type: call.CallOffered, At: time.Now(), ReceivedAt: time.Now()}}); err != nil {
			t.Fatal(err)
		}
	}
	backup := filepath.Join(dir, "backup.db")
	seq, err := s.Backup(backup)
	if err != nil || seq != 50 {
		t.Fatalf("backup: seq %d, %v", seq, err)
	}
	if _, err := Inspect(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("inspecting an open file: %v, want ErrLocked", err)
	}
	if _, err := Restore(backup, path); !errors.Is(err, ErrLocked) {
		t.Fatalf("restoring over an open file: %v, want ErrLocked", err)
	}
	s.Close()

	r, err := Inspect(backup)
	if err != nil || r.LastSeq != 50 || r.bucket("events") == nil || r.bucket("events").Keys != 50 {
		t.Fatalf("inspect: %+v %v", r, err)
	}
	raw, _ := os.ReadFile(backup)
	for name, content := range map[string][]byte{
		"empty":     {},
		"truncated": raw[:len(raw)/3],
		"garbage":   []byte(strings.Repeat("not a database ", 1000)),
	} {
		bad := filepath.Join(dir, name+".db")
		os.WriteFile(bad, content, 0o600)
		if _, err := Inspect(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s file: %v, want an error naming the file", name, err)
		}
		if _, err := Restore(bad, filepath.Join(dir, "other", "ringside.db")); err == nil {
			t.Errorf("restored a %s file", name)
		}
	}

	kept, err := Restore(backup, path)
	if err != nil || kept == "" {
		t.Fatalf("restore: kept %q, %v", kept, err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Fatalf("the replaced file was not kept: %v", err)
	}
	if r, err := Inspect(path); err != nil || r.LastSeq != 50 {
		t.Fatalf("restored file: %+v %v", r, err)
	}
}

// TestOpenTruncatedFile: a truncated database is refused with a clear error naming
// the file, not a SIGBUS.
func TestOpenTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ringside.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		d := Delivery{Source: "s", Method: "POST", Body: []byte(strings.Repeat("y", 2000)), ReceivedAt: time.Now(), Key: "k" + strings.Repeat("z", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))}
		if _, err := s.Append(context.Background(), d, []call.Event{{Source: "s", Call: "c", Type: call.CallOffered, At: time.Now(), ReceivedAt: time.Now()}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()/3); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("opening a truncated file: %v", err)
	}
}
