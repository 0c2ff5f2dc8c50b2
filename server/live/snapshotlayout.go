package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"sync"

	// The snapshot's JSON is what a restart waits for: go-json reads it in two thirds
	// of encoding/json's time (1M events' board: 1.9 s to ready against 2.8 s). Same
	// JSON, so either reads what the other wrote.
	json "github.com/goccy/go-json"
)

// The snapshot's layout.
//
// A snapshot is snapMagic, then JSON documents, each after its length (a uvarint):
// first the head (the snapshot without its settled calls; Settled says how many
// there are), then the settled calls in id order, settledChunk calls to a document.
// A restart decodes the chunks on a goroutine of their own while the board restores
// the chunks before: over a 1M-event board the JSON and the restore each took about
// a second, one after the other, on one of two cores.
//
// Snapshots written before chunks are one JSON document (they start with '{'):
// Restore reads them as they are, so an upgrade keeps its snapshot.

var snapMagic = []byte("ringside-snapshot-chunks\n")

// settledChunk is how many settled calls a chunk holds: small enough that the
// decoder stays a chunk or two ahead of the restore, large enough that each
// document's overhead is nothing.
const settledChunk = 2048

// writeChunked writes s in chunks.
func writeChunked(s snapshot) ([]byte, error) {
	var settled, open []snapCall
	for _, sc := range s.Calls {
		if sc.Settled != nil {
			settled = append(settled, sc)
		} else {
			open = append(open, sc)
		}
	}
	s.Calls, s.Settled = open, len(settled)
	out, err := appendDoc(append([]byte(nil), snapMagic...), s)
	for i := 0; i < len(settled) && err == nil; i += settledChunk {
		out, err = appendDoc(out, settled[i:min(i+settledChunk, len(settled))])
	}
	return out, err
}

func appendDoc(out []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out = binary.AppendUvarint(out, uint64(len(data)))
	return append(out, data...), nil
}

// readSnapshot decodes a snapshot's head; its settled calls come from the source.
func readSnapshot(data []byte) (snapshot, *settledSource, error) {
	var s snapshot
	src := &settledSource{quit: make(chan struct{})}
	if !bytes.HasPrefix(data, snapMagic) { // one document: a snapshot from before chunks
		if err := json.Unmarshal(data, &s); err != nil {
			return s, src, err
		}
		var open []snapCall
		for _, sc := range s.Calls {
			if sc.Settled != nil {
				src.decoded = append(src.decoded, sc)
			} else {
				open = append(open, sc)
			}
		}
		s.Calls, src.n = open, len(src.decoded)
		return s, src, nil
	}
	docs, err := splitDocs(data[len(snapMagic):])
	if err != nil {
		return s, src, err
	}
	if err := json.Unmarshal(docs[0], &s); err != nil {
		return s, src, err
	}
	if s.Settled < 0 {
		return s, src, fmt.Errorf("%d settled calls", s.Settled)
	}
	src.n, src.docs = s.Settled, docs[1:]
	return s, src, nil
}

// splitDocs cuts the length-prefixed documents apart; there is at least the head.
func splitDocs(data []byte) ([][]byte, error) {
	var docs [][]byte
	for len(data) > 0 {
		n, k := binary.Uvarint(data)
		if k <= 0 || n > uint64(len(data)-k) {
			return nil, errors.New("a chunk runs past the snapshot's end")
		}
		docs, data = append(docs, data[k:k+int(n)]), data[k+int(n):]
	}
	if len(docs) == 0 {
		return nil, errors.New("no head")
	}
	return docs, nil
}

// settledSource hands a snapshot's settled calls over chunk by chunk, decoding the
// chunks on a goroutine of its own ahead of the one that restores them.
type settledSource struct {
	n        int        // settled calls, as the head says
	docs     [][]byte   // chunks to decode
	decoded  []snapCall // a snapshot from before chunks: all of them, decoded
	quit     chan struct{}
	stopOnce sync.Once
	failed   error
}

type decodedChunk struct {
	calls []snapCall
	err   error
}

// chunks yields the settled calls a chunk at a time; err says after the loop whether
// one could not be decoded or they were not as many as the head said.
func (src *settledSource) chunks() iter.Seq[[]snapCall] {
	return func(yield func([]snapCall) bool) {
		if src.docs == nil { // decoded already: in chunks all the same, so the restore's two goroutines overlap
			for i := 0; i < len(src.decoded); i += settledChunk {
				if !yield(src.decoded[i:min(i+settledChunk, len(src.decoded))]) {
					return
				}
			}
			return
		}
		out := make(chan decodedChunk, 2)
		go src.decode(out)
		seen := 0
		for c := range out {
			if c.err != nil {
				src.failed = c.err
				return
			}
			seen += len(c.calls)
			if !yield(c.calls) {
				return
			}
		}
		if seen != src.n {
			src.failed = fmt.Errorf("%d settled calls in its chunks, the head says %d", seen, src.n)
		}
	}
}

func (src *settledSource) decode(out chan<- decodedChunk) {
	defer close(out)
	for i, doc := range src.docs {
		c := decodedChunk{calls: make([]snapCall, 0, settledChunk)} // not grown call by call
		if c.err = unmarshalChunk(doc, &c.calls); c.err != nil {
			c.err = fmt.Errorf("settled calls, chunk %d: %w", i, c.err)
		}
		select {
		case out <- c:
		case <-src.quit:
			return
		}
		if c.err != nil {
			return
		}
	}
}

// unmarshalChunk decodes a chunk; a panic in the decoder (this goroutine's own, no
// caller's recover reaches it) is the chunk's error, so the board replays instead.
func unmarshalChunk(doc []byte, calls *[]snapCall) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoding panicked: %v", p)
		}
	}()
	return json.Unmarshal(doc, calls)
}

func (src *settledSource) err() error {
	if src.failed != nil {
		return fmt.Errorf("live: snapshot: %w", src.failed)
	}
	return nil
}

// stop ends the decoding goroutine when the restore gives up early.
func (src *settledSource) stop() { src.stopOnce.Do(func() { close(src.quit) }) }
