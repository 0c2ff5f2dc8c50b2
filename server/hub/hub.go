// Package hub fans rendered HTML fragments out to WebSocket subscribers by topic
// ("wallboard", "agent:{id}", "cdrs", "call:{id}"). It knows nothing about what the
// bytes mean: a change is rendered once per topic and the same prepared frame is
// written to every subscriber, each through its own bounded queue and writer
// goroutine, so a slow browser never slows the publisher or the other browsers.
package hub

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options tunes a Hub; zero fields take the defaults.
type Options struct {
	QueueSize int           // frames queued per connection before it is dropped (256)
	Coalesce  time.Duration // per topic: at most one flush per window, latest render of each key wins (50ms)
	// Windows are longer windows for topics that many connections share and that need
	// not be instant: each flush wakes every subscriber's writer at once, and a few
	// thousand runnable goroutines delay everything else the process does.
	Windows      map[string]time.Duration
	PingEvery    time.Duration // ping period; a peer silent for 2×PingEvery is dropped (20s)
	WriteTimeout time.Duration // one frame write (10s)
}

// Stats are counters since New, except Connections (open now).
type Stats struct {
	Connections int
	Frames      uint64 // frames written to connections, initial frames included
	Renders     uint64 // render funcs called (Publish and PublishNow)
	Drops       uint64 // connections closed because their queue overflowed
	Timeouts    uint64 // connections closed because the peer stopped answering or reading
}

// Hub is safe for concurrent use.
type Hub struct {
	opt Options

	mu     sync.RWMutex
	topics map[string]map[*conn]struct{}
	// variants counts subscriptions by topic and variant: base → variant → count
	variants map[string]map[string]int
	conns    map[*conn]struct{}
	closed   bool
	serving  sync.WaitGroup // one per running Serve

	pmu     sync.Mutex
	pending map[pkey]*entry
	flushes map[string]time.Time // topic → its last flush, while within a window
	seq     uint64
	now     []dirty       // PublishNow's renders, in order, for the flusher's next turn
	next    time.Time     // when the flusher wakes next; zero when it has nothing pending
	wake    chan struct{} // cap 1: a publish needs a flush sooner than next
	done    chan struct{} // closed by Close
	flushed chan struct{} // closed when the flusher has stopped

	frames, renders, drops, timeouts atomic.Uint64

	dmu        sync.Mutex
	topicDrops map[string]uint64 // topic kind → frames not delivered (queue overflowed, or closing)
}

type pkey struct{ topic, key string }

// entry is one (topic,key) that was published within the last window.
type entry struct {
	render func() []byte // latest render; nil when clean
	seq    uint64        // order of the first dirty mark, so a flush keeps publish order
	due    time.Time     // when the dirty entry is flushed
	last   time.Time     // last flush; an entry idle a whole window after it is forgotten
}

// New starts a hub; Close stops it.
func New(opt Options) *Hub {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 256
	}
	if opt.Coalesce <= 0 {
		opt.Coalesce = 50 * time.Millisecond
	}
	if opt.PingEvery <= 0 {
		opt.PingEvery = 20 * time.Second
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 10 * time.Second
	}
	h := &Hub{
		opt:      opt,
		topics:   map[string]map[*conn]struct{}{},
		variants: map[string]map[string]int{},
		conns:    map[*conn]struct{}{},
		pending:  map[pkey]*entry{},
		flushes:  map[string]time.Time{},
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		flushed:  make(chan struct{}),
	}
	go h.flushLoop()
	return h
}

// Publish marks (topic,key) dirty. A topic that was not flushed within its window
// (Coalesce, or its Windows entry) is flushed at once: an isolated change shows
// without delay. Otherwise its dirty keys are flushed together when the window ends,
// and only the latest render of each key published meanwhile is called, so a burst
// on a topic costs each subscriber at most one frame per window (a wall of 100
// wallboards would otherwise take a frame per changed call, agent and queue). A flush
// calls each dirty key's render once, concatenates the results of one topic into a
// single frame (each fragment is its own hx-swap-oob element) and sends those bytes
// to every subscriber of the topic; topics without subscribers are not rendered.
//
// render runs later on the hub's flusher goroutine, so it must not read state
// the publisher keeps mutating: capture a copy, or lock.
func (h *Hub) Publish(topic, key string, render func() []byte) {
	if render == nil {
		return
	}
	select {
	case <-h.done:
		return // nobody would flush it
	default:
	}
	now := time.Now()
	h.pmu.Lock()
	k := pkey{topic, key}
	e := h.pending[k]
	if e == nil {
		e = &entry{}
		h.pending[k] = e
	}
	if e.render == nil {
		h.seq++
		e.seq = h.seq
		e.due = now
		if t := h.flushes[topic].Add(h.window(topic)); t.After(now) {
			e.due = t
		}
	}
	e.render = render
	sooner := h.next.IsZero() || e.due.Before(h.next)
	if sooner {
		h.next = e.due
	}
	h.pmu.Unlock()
	if sooner {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// window is a topic's coalescing window.
func (h *Hub) window(topic string) time.Duration {
	if w, ok := h.opt.Windows[Base(topic)]; ok && w > 0 {
		return w
	}
	return h.opt.Coalesce
}

// PublishNow renders and sends to the subscribers of topic as soon as the flusher
// can, bypassing coalescing (screen-pops): render runs on the flusher goroutine like
// every other render, never on the publisher's. It may overtake earlier Publish calls
// still waiting for their window or being rendered (it goes between two renders of a
// flush); PublishNow calls keep their order.
func (h *Hub) PublishNow(topic string, render func() []byte) {
	if render == nil {
		return
	}
	select {
	case <-h.done:
		return
	default:
	}
	h.pmu.Lock()
	h.now = append(h.now, dirty{pkey: pkey{topic: topic}, render: render})
	h.pmu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// HasSubscribers tells whether any connection listens to topic, so a publisher
// can skip building fragments nobody would receive.
func (h *Hub) HasSubscribers(topic string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.topics[topic]) > 0
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	n := len(h.conns)
	h.mu.RUnlock()
	return Stats{
		Connections: n,
		Frames:      h.frames.Load(),
		Renders:     h.renders.Load(),
		Drops:       h.drops.Load(),
		Timeouts:    h.timeouts.Load(),
	}
}

// Close stops flushing, closes every connection with code 1012 (service restart,
// which htmx-ext-ws answers by reconnecting) and waits until every Serve has
// returned. Pending coalesced renders are discarded.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	close(h.done)
	<-h.flushed
	for _, c := range conns {
		go c.end(endShutdown) // each may wait up to closeGrace on its peer
	}
	h.serving.Wait()
}

// send queues pm on every subscriber of topic without blocking.
func (h *Hub) send(topic string, m *Message) {
	dropped := 0
	h.mu.RLock()
	for c := range h.topics[topic] {
		if !c.enqueue(m) {
			dropped++
		}
	}
	h.mu.RUnlock()
	if dropped > 0 {
		h.dmu.Lock()
		if h.topicDrops == nil {
			h.topicDrops = map[string]uint64{}
		}
		h.topicDrops[TopicKind(topic)] += uint64(dropped)
		h.dmu.Unlock()
	}
}

// TopicKind is a topic without its id ("agent:petr" → "agent"): what metrics label
// by, so their number of series stays small.
func TopicKind(topic string) string {
	kind, _, _ := strings.Cut(Base(topic), ":")
	return kind
}

// VariantSep joins a topic and a variant: "wallboard@fa|Asia/Tehran". A variant is
// one way of rendering a topic (a language and time zone): publishers render each
// change once per variant that has subscribers, never once per subscriber.
const VariantSep = "@"

// Base is a topic without its variant.
func Base(topic string) string {
	base, _, _ := strings.Cut(topic, VariantSep)
	return base
}

// Variants lists the variants of base that have subscribers ("" for subscribers
// of base itself), sorted.
func (h *Hub) Variants(base string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	m := h.variants[base]
	out := make([]string, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// countVariant adds d to the subscriptions of topic's variant; h.mu is held.
func (h *Hub) countVariant(topic string, d int) {
	base, v, _ := strings.Cut(topic, VariantSep)
	m := h.variants[base]
	if m == nil {
		m = map[string]int{}
		h.variants[base] = m
	}
	if m[v] += d; m[v] <= 0 {
		delete(m, v)
		if len(m) == 0 {
			delete(h.variants, base)
		}
	}
}

// TopicStat is one topic kind's figures.
type TopicStat struct {
	Subscribers int    // subscriptions open now
	Dropped     uint64 // frames not delivered since New: the subscriber's queue overflowed (or it was closing)
}

// TopicStats returns the figures of every topic kind seen.
func (h *Hub) TopicStats() map[string]TopicStat {
	out := map[string]TopicStat{}
	h.mu.RLock()
	for t, m := range h.topics {
		st := out[TopicKind(t)]
		st.Subscribers += len(m)
		out[TopicKind(t)] = st
	}
	h.mu.RUnlock()
	h.dmu.Lock()
	for k, n := range h.topicDrops {
		st := out[k]
		st.Dropped = n
		out[k] = st
	}
	h.dmu.Unlock()
	return out
}

// add registers c before its initial state is rendered, so nothing published
// after that render is missed.
func (h *Hub) add(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	for _, t := range c.topics {
		m := h.topics[t]
		if m == nil {
			m = map[*conn]struct{}{}
			h.topics[t] = m
		}
		m[c] = struct{}{}
		h.countVariant(t, 1)
	}
	h.serving.Add(1)
	return true
}

func (h *Hub) remove(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	for _, t := range c.topics {
		if m := h.topics[t]; m != nil {
			delete(m, c)
			h.countVariant(t, -1)
			if len(m) == 0 {
				delete(h.topics, t)
			}
		}
	}
	h.mu.Unlock()
	h.serving.Done()
}
