package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// TestSnapshotsDoNotGrowTheFile stores a snapshot that grows by a tenth each time, 60
// times (from 64 KiB to 19 MiB), and requires the file to stay within a few times the
// last snapshot: a single growing value is written at the file's end every time.
func TestSnapshotsDoNotGrowTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.db")
	s := open(t, path, Options{NoSync: true})
	if _, err := s.Append(context.Background(), delivery("x", t0), []call.Event{event("IncomingCall", "1", t0)}); err != nil {
		t.Fatal(err)
	}
	size := 64 << 10
	var data []byte
	for i := range 60 {
		data = bytes.Repeat([]byte{byte(i)}, size)
		if err := s.PutSnapshot(1, data); err != nil {
			t.Fatal(err)
		}
		size += size / 10
	}
	seq, got, err := s.Snapshot()
	if err != nil || seq != 1 || !bytes.Equal(got, data) {
		t.Fatalf("snapshot read back: seq %d, %d bytes (want %d), %v", seq, len(got), len(data), err)
	}
	if err := s.PutSnapshot(1, []byte("small")); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := s.Snapshot(); string(got) != "small" {
		t.Fatalf("a smaller snapshot after a larger one read back as %d bytes", len(got))
	}
	var used int64
	s.db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	st := s.db.Stats()
	t.Logf("last snapshot %d bytes, file data %d bytes (%d free pages, %d pending)", len(data), used, st.FreePageN, st.PendingPageN)
	if used > 5*int64(len(data))/2 {
		t.Errorf("file data %d bytes for a snapshot of %d", used, len(data))
	}
}
