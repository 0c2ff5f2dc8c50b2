package store

import (
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
)

// Dictionaries for the delivery archive. zstd needs one to compress a record of a few
// hundred bytes well: a raw dictionary is text the compressor may refer back to, so
// the more it looks like the records, the smaller they get.
//
// Dictionary 1 is built in: the vendors' documented requests (the ingest fixtures,
// zdict/deliveries-1.dict). It compresses until the store has seen this site's own
// traffic: the first archive run over at least learnRecords deliveries stores a site
// dictionary in the file (meta "delivery_dict": dictionary 1 followed by a sample of
// those records) and uses it from then on. A dictionary's id is taken from its
// content, every archived record names its dictionary in its zstd frame, and a
// dictionary once used is never changed, so every record stays readable.
var (
	//go:embed zdict/deliveries-1.dict
	deliveryDict []byte

	keyDeliveryDict = []byte("delivery_dict")
)

const (
	deliveryDict1 = 1
	learnRecords  = 256      // deliveries seen before a site dictionary is taken from them
	learnBytes    = 32 << 10 // how much of them it holds
)

// dictSet is every dictionary this process knows, with a decoder for all of them and
// an encoder per dictionary (made when first needed).
type dictSet struct {
	dicts map[uint32][]byte
	dec   *zstd.Decoder
	encs  sync.Map // id → *zstd.Encoder
}

var (
	dictMu sync.Mutex
	dicts  atomic.Pointer[dictSet]
)

// registerDict makes dictionary id known to the decoder (and to encoderFor).
func registerDict(id uint32, content []byte) error {
	dictMu.Lock()
	defer dictMu.Unlock()
	old := dicts.Load()
	if old != nil && old.dicts[id] != nil {
		return nil
	}
	set := &dictSet{dicts: map[uint32][]byte{deliveryDict1: deliveryDict}}
	if old != nil {
		maps.Copy(set.dicts, old.dicts)
	}
	set.dicts[id] = content
	opts := []zstd.DOption{zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(64 << 20)}
	for did, c := range set.dicts {
		opts = append(opts, zstd.WithDecoderDictRaw(did, c))
	}
	dec, err := zstd.NewReader(nil, opts...)
	if err != nil {
		return err
	}
	set.dec = dec
	if old != nil {
		old.encs.Range(func(k, v any) bool { set.encs.Store(k, v); return true })
	}
	dicts.Store(set)
	return nil
}

func decoder() (*zstd.Decoder, error) {
	if dicts.Load() == nil {
		if err := registerDict(deliveryDict1, deliveryDict); err != nil {
			return nil, err
		}
	}
	return dicts.Load().dec, nil
}

// encoderFor is the encoder over dictionary id (registered before).
func encoderFor(id uint32) (*zstd.Encoder, error) {
	if _, err := decoder(); err != nil {
		return nil, err
	}
	set := dicts.Load()
	if e, ok := set.encs.Load(id); ok {
		return e.(*zstd.Encoder), nil
	}
	content, ok := set.dicts[id]
	if !ok {
		return nil, errBadRecord
	}
	// The fastest level: a dictionary encoder resets its tables from the dictionary for
	// every record, and the default level's tables made that most of the archive's cost.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderDictRaw(id, content), zstd.WithEncoderCRC(false),
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, err
	}
	e, _ := set.encs.LoadOrStore(id, enc)
	return e.(*zstd.Encoder), nil
}

// dictID names a site dictionary by its content (never 1, the built-in one's).
func dictID(content []byte) uint32 {
	sum := sha256.Sum256(content)
	return binary.BigEndian.Uint32(sum[:4]) | 1<<31
}

// loadDict registers the file's site dictionary, if it has one, and says which
// dictionary archives with.
func loadDict(tx *bolt.Tx) (uint32, error) {
	content := tx.Bucket(bMeta).Get(keyDeliveryDict)
	if content == nil {
		return deliveryDict1, nil
	}
	content = append([]byte(nil), content...)
	id := dictID(content)
	return id, registerDict(id, content)
}

// learnDict stores a site dictionary once the log holds enough deliveries (else it
// keeps dictionary 1), and says which dictionary to use.
func learnDict(tx *bolt.Tx) (uint32, error) {
	if id, err := loadDict(tx); err != nil || id != deliveryDict1 {
		return id, err
	}
	hot := tx.Bucket(bDeliveries)
	if hot.Stats().KeyN < learnRecords {
		return deliveryDict1, nil
	}
	content := append([]byte(nil), deliveryDict...)
	c := hot.Cursor()
	for k, v := c.First(); k != nil && len(content) < len(deliveryDict)+learnBytes; k, v = c.Next() {
		if len(v) > recHeader && v[0] != recArchived {
			content = append(content, v[recHeader:]...)
		}
	}
	id := dictID(content)
	if err := registerDict(id, content); err != nil {
		return 0, err
	}
	return id, tx.Bucket(bMeta).Put(keyDeliveryDict, content)
}
