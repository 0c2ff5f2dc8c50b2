package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"ringside/server/call"
)

// TestSnapshotsDoNotGrowTheFile stores a snapshot that grows by a tenth each time, 60
// times (from 64 KiB to 19 MiB, random bytes: compression leaves them as they are), and requires the file to stay within a few times the
// last snapshot: a single growing value is written at the file's end every time.
func TestSnapshotsDoNotGrowTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringside.db")
	s := open(t, path, Options{NoSync: true})
	if _, err := s.Append(context.Background(), delivery("x", t0), []call.Event{event("IncomingCall", "1", t0)}); err != nil {
		t.Fatal(err)
	}
	size := 64 << 10
	var data []byte
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 60 {
		data = make([]byte, size)
		for j := range data {
			data[j] = byte(rnd.Uint32())
		}
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

// TestSnapshotCompressed: a board's JSON of 70 MiB (more than the archive decoder's
// 64 MiB bound) is stored compressed and reads back byte for byte; a snapshot stored
// plain, as before compression, still reads back as it is.
func TestSnapshotCompressed(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "ringside.db"), Options{NoSync: true})
	if _, err := s.Append(context.Background(), delivery("x", t0), []call.Event{event("IncomingCall", "1", t0)}); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	js.WriteString(`{"calls":[`)
	for i := 0; js.Len() < 70<<20; i++ {
		fmt.Fprintf(&js, `{"id":"pbx:1700000000.%d","state":"ended","queue":"9%02d","agent":"pbx:1%03d","talk_s":%d},`, i, i%24, i%250, i%600)
	}
	js.WriteString(`{}]}`)
	if err := s.PutSnapshot(1, js.Bytes()); err != nil {
		t.Fatal(err)
	}
	_, got, err := s.Snapshot()
	if err != nil || !bytes.Equal(got, js.Bytes()) {
		t.Fatalf("read back %d bytes of %d: %v", len(got), js.Len(), err)
	}
	var stored int
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSnapshot).ForEach(func(_, v []byte) error { stored += len(v); return nil })
	})
	if stored > js.Len()/4 {
		t.Errorf("a %d-byte JSON snapshot takes %d bytes stored: not compressed", js.Len(), stored)
	}
	plain := []byte(`{"version":3,"calls":[]}`)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bSnapshot).Put(binary.BigEndian.AppendUint32(nil, 0), plain)
	}); err != nil {
		t.Fatal(err)
	}
	s.db.Update(func(tx *bolt.Tx) error { // only chunk 0, as a small plain snapshot
		c, one := tx.Bucket(bSnapshot).Cursor(), binary.BigEndian.AppendUint32(nil, 1)
		for k, _ := c.Seek(one); k != nil; k, _ = c.Seek(one) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if _, got, err := s.Snapshot(); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("a plain snapshot read back as %q, %v", got, err)
	}
}
