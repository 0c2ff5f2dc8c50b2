package store

import (
	"bytes"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// Rejected deliveries are kept for inspection, but a source (or whoever holds its
// credentials) sending garbage must not fill the disk: each source keeps at most
// RejectedKeep records and RejectedBytes bytes of them, the oldest dropped first (a
// ring). Records kept by a version without the quota are not counted.
const (
	defaultRejectedKeep  = 10_000
	defaultRejectedBytes = 64 << 20
)

var (
	bRejectedBySource = []byte("rejected_by_source") // source \x00 id (8) → record size (8)
	bRejectedQuota    = []byte("rejected_quota")     // source → records (8) + bytes (8)
)

// keepRejected stores a rejected record and drops the source's oldest ones over quota.
func (s *Store) keepRejected(tx *bolt.Tx, source string, rec []byte) error {
	b := tx.Bucket(bRejected)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	if err := b.Put(u64(id), rec); err != nil {
		return err
	}
	idx, quota := tx.Bucket(bRejectedBySource), tx.Bucket(bRejectedQuota)
	prefix := append([]byte(source), 0)
	if err := idx.Put(append(bytes.Clone(prefix), u64(id)...), u64(uint64(len(rec)))); err != nil {
		return err
	}
	n, size := uint64(1), uint64(len(rec))
	if q := quota.Get([]byte(source)); len(q) == 16 {
		n += binary.BigEndian.Uint64(q[:8])
		size += binary.BigEndian.Uint64(q[8:])
	}
	c := idx.Cursor()
	for n > 1 && (n > uint64(s.opt.RejectedKeep) || size > uint64(s.opt.RejectedBytes)) {
		k, v := c.Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			break
		}
		if err := b.Delete(k[len(prefix):]); err != nil {
			return err
		}
		n, size = n-1, size-binary.BigEndian.Uint64(v)
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return quota.Put([]byte(source), append(u64(n), u64(size)...))
}

// forgetRejected takes a rejected record deleted by retention off its source's quota.
func forgetRejected(tx *bolt.Tx, id uint64, rec []byte) error {
	n, w := binary.Uvarint(rec[min(len(rec), recHeader):])
	start := recHeader + w
	if len(rec) < recHeader || w <= 0 || uint64(len(rec)-start) < n {
		return nil
	}
	m, err := decodeMeta(rec[0], rec[start:start+int(n)])
	if err != nil {
		return nil
	}
	idx, quota := tx.Bucket(bRejectedBySource), tx.Bucket(bRejectedQuota)
	key := append(append([]byte(m.Source), 0), u64(id)...)
	size := idx.Get(key)
	if len(size) != 8 {
		return nil // kept before the quota: never counted
	}
	q := quota.Get([]byte(m.Source))
	if len(q) != 16 {
		return idx.Delete(key)
	}
	left := append(u64(binary.BigEndian.Uint64(q[:8])-1), u64(binary.BigEndian.Uint64(q[8:])-binary.BigEndian.Uint64(size))...)
	if err := idx.Delete(key); err != nil {
		return err
	}
	return quota.Put([]byte(m.Source), left)
}
