package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCompact: a file whose log was pruned shrinks to what it holds, reads the same,
// and a running server's file is refused.
func TestCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.db")
	s := open(t, path, Options{NoSync: true})
	body := string(make([]byte, 2000))
	for i := range 3000 {
		at := t0.Add(time.Duration(i) * time.Minute)
		mustAppend(t, s, delivery(body+string(rune(i)), at), event("IncomingCall", string(rune('a'+i%26)), at))
	}
	if err := s.PutSnapshot(s.LastSeq(), []byte("board")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PruneLog(t0.Add(2900*time.Minute), t0.Add(2900*time.Minute), s.LastSeq()); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Compact(path, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("compacting a held file: %v, want ErrLocked", err)
	}
	last := s.LastSeq()
	s.Close()
	before, after, kept, err := Compact(path, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes -> %d bytes", before.FileBytes, after.FileBytes)
	if after.FileBytes > before.FileBytes/4 || after.Events != 100 || after.LastSeq != last || after.SnapshotSeq != last {
		t.Errorf("compacted: %+v (before %+v)", after, before)
	}
	if fi, err := os.Stat(kept); err != nil || fi.Size() != before.FileBytes {
		t.Errorf("kept old file %s: %v", kept, err)
	}
	s = open(t, path, Options{NoSync: true})
	if evs, err := s.Events(0, 1000); err != nil || len(evs) != 100 {
		t.Fatalf("after compact: %d events, %v", len(evs), err)
	}
	if seq, data, err := s.Snapshot(); err != nil || seq != last || string(data) != "board" {
		t.Fatalf("after compact: snapshot %d %q %v", seq, data, err)
	}
	if a := mustAppend(t, s, delivery("next", t0), event("IncomingCall", "z", t0)); a.Seqs[0] != last+1 {
		t.Errorf("next seq %d, want %d", a.Seqs[0], last+1)
	}
}
