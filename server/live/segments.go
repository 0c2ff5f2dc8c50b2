package live

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	json "github.com/goccy/go-json"
)

// Snapshots in segments.
//
// A settled call does not change until a late event reloads it, and a 48-hour board is
// mostly settled calls: writing all of them every snapshot cost a 1M-event board
// about a second of the board's goroutine and a gigabyte of allocation, every 30
// seconds. So the stored snapshot is a head (everything but the settled calls, and
// how many there are) and segments: each snapshot adds one segment with a record for
// every call that settled since the one before, and an empty record (a tombstone) for
// every settled call since reloaded by a late event or dropped by retention. Restoring
// reads the segments oldest first, a later record of a call replacing an earlier one;
// a call the head holds with its events (reloaded, not settled again) is left out.
// What remains must be as many calls as the head counts, or the snapshot is refused
// (and the log replayed). Once the segments hold more than twice as many records as
// there are settled calls, a snapshot writes every settled call again, replacing them
// ("full"), as does the first snapshot of a board not restored from segments.

// segmentRecords caps a segment's calls, so a full snapshot of a big board is many
// values of a few megabytes, not one that bbolt must place in one run of pages.
const segmentRecords = 4096

// segState is what the board knows of its stored segments.
type segState struct {
	current bool     // the stored segments are the board's settled calls but for those below
	changed []string // calls settled, reloaded or dropped since the last stored snapshot
}

// Delta is a snapshot to store: the head and the segments to add. Full segments
// replace every stored one.
type Delta struct {
	Head     []byte
	Segments [][]byte
	Records  int // records in Segments (tombstones included)
	Full     bool
	upto     int // the settled calls it covers (of segState.settled)
}

// SnapshotDue says whether the next snapshot must be full, given how many records the
// stored segments hold.
func (b *Board) SnapshotDue(stored int) (full bool) {
	return !b.segs.current || stored > 2*b.settledCount()+segmentRecords
}

func (b *Board) settledCount() int {
	n := 0
	for _, ce := range b.calls {
		if ce.compact {
			n++
		}
	}
	return n
}

// SnapshotDelta serializes the board as a head and the segments to add: every settled
// call when full, else those settled since the last stored snapshot. It does not
// change the board; tell it with DeltaStored once stored.
func (b *Board) SnapshotDelta(full bool) (Delta, error) { return b.CaptureDelta(full).Encode() }

// Capture is a snapshot taken but not yet encoded: it shares nothing the board goes
// on to change, so it can be encoded without the board's lock while the board applies
// events (the encoding is what takes time: a head holding many open calls' events).
type Capture struct {
	head    snapshot
	records []snapCall
	full    bool
	upto    int
}

// CaptureDelta takes what SnapshotDelta serializes; call it under the board's read lock.
func (b *Board) CaptureDelta(full bool) Capture {
	c := Capture{head: b.snapshotDoc(true), full: full, upto: len(b.segs.changed)}
	c.head.Agents = slices.Clone(c.head.Agents)
	for i, f := range c.head.Agents {
		c.head.Agents[i] = f.clone()
	}
	cb := &c.head.Callbacks
	cb.Reached = maps.Clone(cb.Reached)
	cb.Marks = maps.Clone(cb.Marks)
	for n, ms := range cb.Marks {
		cb.Marks[n] = slices.Clone(ms)
	}
	var ids []string
	if full {
		ids = sortedKeys(b.calls)
	} else {
		ids = slices.Clone(b.segs.changed)
		slices.Sort(ids)
		ids = slices.Compact(ids)
	}
	for _, id := range ids {
		switch ce := b.calls[id]; {
		case ce != nil && ce.compact:
			c.records = append(c.records, snapCall{ID: id, Settled: settledOf(ce)})
		case !full:
			c.records = append(c.records, snapCall{ID: id}) // no longer settled
		}
	}
	return c
}

// Encode serializes a capture.
func (c Capture) Encode() (Delta, error) {
	d := Delta{Records: len(c.records), Full: c.full, upto: c.upto}
	var err error
	if d.Head, err = json.Marshal(c.head); err != nil {
		return d, err
	}
	for i := 0; i < len(c.records); i += segmentRecords {
		seg, err := json.Marshal(c.records[i:min(i+segmentRecords, len(c.records))])
		if err != nil {
			return d, err
		}
		d.Segments = append(d.Segments, seg)
	}
	return d, nil
}

// DeltaStored tells the board that d is stored.
func (b *Board) DeltaStored(d Delta) {
	b.segs.changed = slices.Delete(b.segs.changed, 0, min(d.upto, len(b.segs.changed)))
	if d.Full {
		b.segs.current = true
	}
}

// SegmentsUnknown makes the next snapshot full: the stored segments may not be what
// the board believes (a snapshot of another board was stored since it was restored).
func (b *Board) SegmentsUnknown() { b.segs.current = false }

// RestoreSegments rebuilds a board from a stored head and its segments (oldest first).
// A snapshot written whole (before segments) restores as it is, its segments ignored.
func RestoreSegments(cfg Config, head []byte, segments [][]byte) (*Board, error) {
	s, settled, err := readSnapshot(head)
	if err != nil {
		return nil, fmt.Errorf("live: snapshot: %w", err)
	}
	if !s.Segmented {
		return restoreFrom(cfg, s, settled)
	}
	calls, err := mergeSegments(s, segments)
	if err != nil {
		return nil, err
	}
	b, err := restoreFrom(cfg, s, &settledSource{n: len(calls), decoded: calls, quit: make(chan struct{})})
	if err == nil {
		b.segs.current = true
	}
	return b, err
}

// mergeSegments is the settled calls the segments hold for head s, in id order.
func mergeSegments(s snapshot, segments [][]byte) ([]snapCall, error) {
	decoded, err := decodeSegments(segments)
	if err != nil {
		return nil, err
	}
	settled := map[string]*snapSettled{}
	for _, records := range decoded {
		for _, r := range records {
			if r.Settled != nil {
				settled[r.ID] = r.Settled
			} else {
				delete(settled, r.ID)
			}
		}
	}
	for _, sc := range s.Calls {
		delete(settled, sc.ID) // held with its events: reloaded since its last record
	}
	if len(settled) != s.Settled {
		return nil, fmt.Errorf("live: snapshot segments hold %d settled calls, its head counts %d", len(settled), s.Settled)
	}
	calls := make([]snapCall, 0, len(settled))
	for id, r := range settled {
		calls = append(calls, snapCall{ID: id, Settled: r})
	}
	slices.SortFunc(calls, func(a, b snapCall) int { return strings.Compare(a.ID, b.ID) })
	return calls, nil
}

// decodeSegments decodes the segments on every core: a restart waits for them, and a
// full set of a 1M-event board is some 35 segments of 4,096 calls.
func decodeSegments(segments [][]byte) ([][]snapCall, error) {
	out := make([][]snapCall, len(segments))
	errs := make([]error, len(segments))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(segments)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(segments); i = int(next.Add(1) - 1) {
				errs[i] = unmarshalChunk(segments[i], &out[i]) // a decoder's panic is the segment's error
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("live: snapshot segment %d of %d: %w", i+1, len(segments), err)
		}
	}
	return out, nil
}
