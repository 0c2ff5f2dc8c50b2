package hub

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

const closeGrace = 1 * time.Second // for the goodbye on shutdown

// Why a connection ended; the first reason wins.
const (
	endPeer     = iota + 1 // the peer closed or the socket failed
	endDrop                // our queue for it overflowed
	endTimeout             // no pong in time, or a write timed out
	endShutdown            // Hub.Close
)

// Transport is one subscriber's connection as the hub uses it. server/ws.go adapts a
// WebSocket to it; tests use an in-memory pipe. Write, Ping and Goodbye are called
// from one goroutine at a time, Receive from another; Close may be called from any,
// and must unblock the others.
type Transport interface {
	// Write sends one message, giving up at deadline.
	Write(m *Message, deadline time.Time) error
	// Ping asks the peer for a sign of life, which Receive notices.
	Ping(deadline time.Time) error
	// Receive reads and discards what the peer sends until it goes away or sends
	// nothing (no message, no answer to a ping) for idle, and says why: an error
	// whose Timeout() is true for a silent peer.
	Receive(idle time.Duration) error
	// Goodbye tells the peer the server is restarting, so it reconnects (shutdown).
	Goodbye(deadline time.Time) error
	// Close ends the connection at once, without a goodbye.
	Close() error
}

// Message is one frame for many subscribers. A transport may keep one encoding of it
// for all of them (Encoded), so a frame is encoded once, not once per subscriber.
type Message struct {
	Data []byte
	once sync.Once
	enc  any
}

// NewMessage wraps data.
func NewMessage(data []byte) *Message { return &Message{Data: data} }

// Encoded returns encode(m.Data), calling encode only the first time.
func (m *Message) Encoded(encode func([]byte) any) any {
	m.once.Do(func() { m.enc = encode(m.Data) })
	return m.enc
}

type conn struct {
	h      *Hub
	t      Transport
	topics []string
	q      chan *Message
	quit   chan struct{} // closed by end: the writer stops
	done   chan struct{} // closed when the writer has stopped
	ended  atomic.Bool
}

// Serve runs one connection until it ends: it subscribes to topics, then sends
// initial() (the whole page state, so a reconnect re-syncs), then the topic frames in
// order. Subscribing before rendering initial means a frame published after that
// render is never lost; one published before it may arrive after it too, which is
// harmless because OOB swaps are idempotent and the latest publish is always flushed
// last. When the connection's queue overflows it is closed without a goodbye, which
// htmx-ext-ws answers by reconnecting. initial runs on the connection's writer
// goroutine, before Serve returns. When Serve returns, the hub is done with t.
func (h *Hub) Serve(t Transport, topics []string, initial func() []byte) {
	cn := &conn{
		h:      h,
		t:      t,
		topics: topics,
		q:      make(chan *Message, h.opt.QueueSize),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if !h.add(cn) {
		_ = t.Goodbye(time.Now().Add(closeGrace))
		return
	}
	go cn.writeLoop(initial)
	err := t.Receive(2 * h.opt.PingEvery)
	if isTimeout(err) {
		cn.end(endTimeout)
	} else {
		cn.end(endPeer)
	}
	<-cn.quit // whichever end won has finished with the transport
	<-cn.done
	h.remove(cn)
}

func (c *conn) writeLoop(initial func() []byte) {
	defer close(c.done)
	t, h := c.t, c.h
	var first []byte
	if initial != nil {
		var ok bool
		if first, ok = safeRender("initial", initial); !ok {
			c.end(endPeer) // the page cannot be synced; the browser will retry
			return
		}
	}
	ping := time.NewTicker(h.opt.PingEvery)
	defer ping.Stop()
	write := func(err error) bool {
		if err != nil {
			if isTimeout(err) {
				c.end(endTimeout)
			} else {
				c.end(endPeer)
			}
			return false
		}
		h.frames.Add(1)
		return true
	}
	if len(first) > 0 {
		if !write(t.Write(NewMessage(first), time.Now().Add(h.opt.WriteTimeout))) {
			return
		}
	}
	for {
		select {
		case m := <-c.q:
			if !write(t.Write(m, time.Now().Add(h.opt.WriteTimeout))) {
				return
			}
		case <-ping.C:
			if err := t.Ping(time.Now().Add(h.opt.WriteTimeout)); err != nil {
				write(err)
				return
			}
		case <-c.quit:
			return
		}
	}
}

// enqueue never blocks: a connection that cannot keep up is dropped. It reports
// whether m was queued.
func (c *conn) enqueue(m *Message) bool {
	if c.ended.Load() {
		return false
	}
	select {
	case c.q <- m:
		return true
	default:
		c.end(endDrop)
		return false
	}
}

// end closes the connection once, for the first reason given; quit is closed
// when that is done. Only shutdown says goodbye (and may wait closeGrace for it);
// the others just close the transport, so they never block.
func (c *conn) end(why int) {
	if !c.ended.CompareAndSwap(false, true) {
		return
	}
	switch why {
	case endDrop:
		c.h.drops.Add(1)
	case endTimeout:
		c.h.timeouts.Add(1)
	case endShutdown:
		_ = c.t.Goodbye(time.Now().Add(closeGrace))
	}
	_ = c.t.Close()
	close(c.quit)
}

// isTimeout tells a silent peer or a stuck write (net.Error's Timeout) from the rest.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
