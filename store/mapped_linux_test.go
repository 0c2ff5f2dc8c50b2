package store

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// rssFileKiB is the file-backed share of this process's resident memory.
func rssFileKiB(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// A read of the whole file maps its pages into the process; ReleaseMapped gives them
// back, and the data reads the same afterwards.
func TestReleaseMapped(t *testing.T) {
	s, _ := tempStore(t)
	const n, size = 48, 1 << 20 // 48 MiB of values, each over many pages
	val := bytes.Repeat([]byte("ringside"), size/8)
	for i := range n {
		if err := s.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bMeta).Put([]byte("big"+strconv.Itoa(i)), val)
		}); err != nil {
			t.Fatal(err)
		}
	}
	readAll := func() {
		t.Helper()
		if err := s.db.View(func(tx *bolt.Tx) error {
			for i := range n {
				if !bytes.Equal(tx.Bucket(bMeta).Get([]byte("big"+strconv.Itoa(i))), val) {
					t.Fatalf("value %d reads differently", i)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	readAll()
	before := rssFileKiB(t)
	if err := s.ReleaseMapped(); err != nil {
		t.Fatal(err)
	}
	after := rssFileKiB(t)
	if before-after < 32<<10 {
		t.Fatalf("RssFile %d KiB before the release, %d KiB after: expected at least 32 MiB released", before, after)
	}
	readAll() // the pages map again from the page cache
	if again := rssFileKiB(t); again-after < 32<<10 {
		t.Fatalf("RssFile %d KiB after reading again (released: %d KiB): the values were not read through the map?", again, after)
	}
}
