// Package store is Ringside's durable state on one bbolt file: the append-only event
// log with the raw deliveries that produced it (deduplicated, group-committed), the
// rejected deliveries, the CDRs with their search indexes, and the board snapshot.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrUnavailable is wrapped by every error that means "the store cannot take this
// write now" (closed, disk failure): the webhook answers 503 so the vendor retries.
var ErrUnavailable = errors.New("store unavailable")

// ErrUnstorable is wrapped by an error that means "this delivery's data cannot be
// stored" (a key too long for bbolt): a retry would fail the same way.
var ErrUnstorable = errors.New("delivery cannot be stored")

// Options tune the store; the zero value is the production setting.
type Options struct {
	DedupeWindow time.Duration // how long an identical keyless delivery counts as a retry; default 15m
	MaxBatch     int           // requests per group commit; default 1024
	// GatherWait is how long a busy writer waits for more requests before it commits
	// (see fill); default 2ms, negative: never.
	GatherWait time.Duration
	NoSync     bool // skip fsync: tests and benchmarks only, loses acknowledged writes on a crash
	// RejectedKeep and RejectedBytes bound the rejected deliveries kept per source
	// (defaults 10,000 and 64 MiB); see rejectquota.go.
	RejectedKeep  int
	RejectedBytes int64
}

// defaultGatherWait: in bursts against a 256–1,024-connection load on 2 cores, waits
// of 1–3 ms gave 5–20 % more deliveries a second than none, 2 ms the most; 5 ms less.
const defaultGatherWait = 2 * time.Millisecond

// keyTTL is how long a vendor's natural delivery key is remembered.
const keyTTL = 7 * 24 * time.Hour

// Bucket names.
var (
	bEvents         = []byte("events")            // seq → delivery id (8) + event JSON
	bCallEvents     = []byte("events_by_call")    // call id \x00 seq (8) → nothing
	bDeliveries     = []byte("deliveries")        // id → encoded delivery with its seqs
	bRejected       = []byte("rejected")          // id → encoded delivery with its reason
	bKeys           = []byte("dedupe_keys")       // source \x00 key → delivery id (8) + ReceivedAt (8)
	bKeyExpiry      = []byte("dedupe_key_expiry") // expiresAt (8) + source \x00 key
	bRecent         = []byte("dedupe_recent")     // ReceivedAt (8) + kind (1) + hash or stream → delivery id
	bCDRs           = []byte("cdrs")              // id → stored call JSON
	bCDREvents      = []byte("cdr_events")        // id → the call's timeline JSON, when given
	bCDRTime        = []byte("cdr_by_time")       // time (8) + id → filter row
	bCDRValueCounts = []byte("cdr_value_counts")  // field (1) + index value → CDRs with it (8)
	bMeta           = []byte("meta")
	bPrefs          = []byte("prefs") // user \x00 key → value (a person's language...)
)

var allBuckets = [][]byte{bEvents, bCallEvents, bDeliveries, bArchive, bRejected, bKeys, bKeyExpiry, bRecent,
	bCDRs, bCDREvents, bCDRTime, bCDRValueCounts, bMeta, bPrefs, bRejectedBySource, bRejectedQuota, bQuarantined}

// Store is the open database. All methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	opt  Options

	lastSeq   atomic.Uint64 // last committed (durable) event seq
	waiting   atomic.Int64  // Appends and Rejects waiting for their commit (see Waiting)
	crowdedAt atomic.Int64  // when Crowded last saw the writer crowded (Unix ns)

	mu     sync.RWMutex // guards closed and sending on reqs
	closed bool
	reqs   chan *request
	done   chan struct{} // closed when the writer has drained reqs

	subMu sync.Mutex
	subs  map[*Subscription]struct{}

	dd *dedupe // writer only (and Open)

	onCommit atomic.Pointer[func(took time.Duration)] // see OnCommit
	dict     atomic.Uint32                            // the delivery archive's dictionary (zdict.go)

	fault atomic.Pointer[writeFault] // the log writer's last panic (writerpanic.go)

	qmu        sync.Mutex                        // serializes Quarantine's updates of quarantine
	quarantine atomic.Pointer[map[uint64]string] // events set aside (quarantine.go); replaced, never changed in place
}

// OnCommit sets fn to be told how long each log transaction took to write and fsync
// (metrics). fn runs on the writer goroutine: it must be quick.
func (s *Store) OnCommit(fn func(took time.Duration)) { s.onCommit.Store(&fn) }

// Open opens (or creates) the database at path, creating its directory. A file held
// by another process fails after one second with an error that says so.
func Open(path string, opt Options) (*Store, error) {
	if opt.DedupeWindow <= 0 {
		opt.DedupeWindow = 15 * time.Minute
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 1024
	}
	if opt.GatherWait == 0 {
		opt.GatherWait = defaultGatherWait
	}
	if opt.RejectedKeep <= 0 {
		opt.RejectedKeep = defaultRejectedKeep
	}
	if opt.RejectedBytes <= 0 {
		opt.RejectedBytes = defaultRejectedBytes
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	if err := checkBeforeOpen(path); err != nil {
		return nil, fmt.Errorf("store: %w", err) // see opencheck.go
	}
	db, err := openBolt(path, opt)
	if errors.Is(err, errLockTimeout) {
		return nil, fmt.Errorf("store: %s is locked: another process (a second ringside?) has it open", path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{db: db, path: path, opt: opt,
		reqs: make(chan *request, opt.MaxBatch), done: make(chan struct{}),
		subs: map[*Subscription]struct{}{}}
	err = guard(path, func() error { return s.initialize(opt) })
	if err != nil {
		db.Close()
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("initialize %s: %w", path, err)
		}
		return nil, fmt.Errorf("store: %w", err)
	}
	noteHeld(path, s.LastSeq(), fileSize(path))
	go s.writer()
	return s, nil
}

// initialize creates missing buckets and indexes and reads the log's end and the
// dedupe state.
func (s *Store) initialize(opt Options) error {
	db := s.db
	err := db.Update(func(tx *bolt.Tx) error {
		counted := tx.Bucket(bCDRValueCounts) != nil
		for _, name := range append(allBuckets, fieldBuckets[:]...) {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if !counted && cdrCount(tx) > 0 {
			if err := countValues(tx); err != nil {
				return err
			}
		}
		return buildNumberGrams(tx) // numbers.go
	})
	if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			if k, _ := tx.Bucket(bEvents).Cursor().Last(); k != nil {
				s.lastSeq.Store(binary.BigEndian.Uint64(k))
			}
			s.loadQuarantine(tx)
			var lerr error
			if s.dd, lerr = loadDedupe(tx, opt.DedupeWindow); lerr != nil {
				return lerr
			}
			dict, lerr := loadDict(tx) // the archive's dictionary (archive.go)
			s.dict.Store(dict)
			return lerr
		})
	}
	return err
}

// Close stops accepting writes, commits the ones already queued, ends every
// subscription and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	<-s.done

	s.subMu.Lock()
	subs := s.subs
	s.subs = map[*Subscription]struct{}{}
	s.subMu.Unlock()
	for sub := range subs {
		sub.Close()
	}
	err := s.db.Close()
	noteHeld(s.path, s.LastSeq(), fileSize(s.path))
	return err
}

// LastSeq is the seq of the last durable event (0 for an empty log).
func (s *Store) LastSeq() uint64 { return s.lastSeq.Load() }

// unavailable wraps a database error so callers can tell it means "retry later".
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// timeKey encodes t so that byte order is time order (the sign bit flipped).
func timeKey(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()) ^ (1 << 63)
}
