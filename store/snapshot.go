package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
)

// Snapshots: the latest serialized board and the seq it includes. The board is
// stored in fixed-size chunks in its own bucket, rewritten in place: bbolt stores a
// large value in one run of consecutive pages, so a single growing value never fits
// the run its predecessor freed and went to the end of the file each time (a file of
// mostly free pages). Chunks of one size reuse each other's runs, so the file holds
// about two snapshots, however often and however large.
//
// The board's JSON is stored as one zstd frame (about a sixth of its size; the
// board's snapshot is the largest thing in the file after the log itself). Snapshots
// written before that are plain JSON and read as they are: a zstd frame starts with
// its magic number, JSON with '{'.
var (
	keySnapSeq  = []byte("snapshot_seq")
	keySnapData = []byte("snapshot") // the whole snapshot as one value: files written before chunks
	bSnapshot   = []byte("snapshot_chunks")
)

// snapChunk is a chunk's size: with its page and element headers, 16 pages of 4 KiB.
const snapChunk = 64<<10 - 64

// PutSnapshot replaces the snapshot by one written whole (its stored segments are
// dropped); seq is the last event it includes.
func (s *Store) PutSnapshot(seq uint64, data []byte) error {
	return s.PutSnapshotSegments(seq, data, Segments{Full: true})
}

// PutSnapshotSegments replaces the snapshot's head and adds its segments (replacing
// every stored one when full), in one transaction; seq is the last event it includes.
func (s *Store) PutSnapshotSegments(seq uint64, head []byte, segs Segments) error {
	if last := s.LastSeq(); seq > last {
		return fmt.Errorf("store: snapshot at seq %d is ahead of the log (%d)", seq, last)
	}
	enc, err := snapshotEncoder()
	if err != nil {
		return err
	}
	data := enc.EncodeAll(head, make([]byte, 0, len(head)/4))
	packed := make([][]byte, len(segs.Add))
	for i, seg := range segs.Add {
		packed[i] = enc.EncodeAll(seg, make([]byte, 0, len(seg)/4))
	}
	return unavailable(s.db.Update(func(tx *bolt.Tx) error {
		if err := putSegments(tx, packed, segs); err != nil {
			return err
		}
		meta := tx.Bucket(bMeta)
		if err := meta.Delete(keySnapData); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bSnapshot)
		if err != nil {
			return err
		}
		b.FillPercent = 1
		n := uint32(0)
		for ; len(data) > 0 || n == 0; n++ {
			chunk := data[:min(len(data), snapChunk)]
			data = data[len(chunk):]
			if err := b.Put(binary.BigEndian.AppendUint32(nil, n), chunk); err != nil {
				return err
			}
		}
		// drop the chunks of a larger predecessor
		c := b.Cursor()
		for k, _ := c.Seek(binary.BigEndian.AppendUint32(nil, n)); k != nil; k, _ = c.Seek(binary.BigEndian.AppendUint32(nil, n)) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return meta.Put(keySnapSeq, u64(seq))
	}))
}

// SnapshotSeq is the seq of the latest snapshot (0: none).
func (s *Store) SnapshotSeq() uint64 { return s.metaSeq(keySnapSeq) }

// metaSeq reads a seq kept in the meta bucket (0: none).
func (s *Store) metaSeq(key []byte) uint64 {
	var seq uint64
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(key); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return seq
}

// Snapshot returns the latest snapshot, or seq 0 and nil data when there is none.
func (s *Store) Snapshot() (seq uint64, data []byte, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		seq, data, err = readSnapshot(tx)
		return err
	})
	if err != nil {
		return seq, data, unavailable(err)
	}
	if data, err = unpackSnapshot(data); err != nil {
		return seq, nil, fmt.Errorf("store: the board snapshot at seq %d: %w", seq, err)
	}
	return seq, data, nil
}

// readSnapshot copies the stored snapshot (still compressed) and its seq out of tx.
func readSnapshot(tx *bolt.Tx) (seq uint64, data []byte, err error) {
	meta := tx.Bucket(bMeta)
	v := meta.Get(keySnapSeq)
	if v == nil {
		return 0, nil, nil
	}
	if len(v) != 8 {
		return 0, nil, errors.New("store: malformed snapshot seq")
	}
	seq = binary.BigEndian.Uint64(v)
	if old := meta.Get(keySnapData); old != nil {
		return seq, append([]byte(nil), old...), nil
	}
	b := tx.Bucket(bSnapshot)
	if b == nil {
		return seq, nil, nil
	}
	// sized from the last chunk's number: appending 16 MiB chunk by chunk
	// allocated five times as much
	size := 0
	if k, _ := b.Cursor().Last(); len(k) == 4 {
		size = (int(binary.BigEndian.Uint32(k)) + 1) * snapChunk
	}
	data = make([]byte, 0, size)
	err = b.ForEach(func(_, chunk []byte) error {
		data = append(data, chunk...)
		return nil
	})
	return seq, data, err
}

// zstdMagic starts every zstd frame.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// snapshotEncoder compresses snapshots: the fastest level, as a snapshot is taken
// on the board's goroutine.
var snapshotEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
})

// unpackSnapshot is a stored snapshot's JSON: decompressed, or as stored when it
// predates compression.
func unpackSnapshot(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, zstdMagic) {
		return data, nil
	}
	// A decoder of its own, dropped after: a decoder keeps references to the last
	// frame it read (its input and its output) until the next one, and a snapshot is
	// read once a start. A decoder kept for the process held the whole snapshot, its
	// JSON and the compressed chunks (over 1M events some 170 MiB), for as long as
	// the server ran. Unlike the archive's decoder it has no 64 MiB bound, as a big
	// center's board is larger.
	dec, err := snapshotDecoder()
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	return dec.DecodeAll(data, nil)
}

// snapshotDecoder is a decoder for one reading of the snapshot; close it after.
func snapshotDecoder() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
}
