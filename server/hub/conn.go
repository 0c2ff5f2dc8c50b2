package hub

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

	fastws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
)

const (
	readLimit  = 64 << 10        // browsers send us nothing we use; cap what we discard
	closeGrace = 1 * time.Second // for the close frame on shutdown
)

// Why a connection ended; the first reason wins.
const (
	endPeer     = iota + 1 // the peer closed or the socket failed
	endDrop                // our queue for it overflowed
	endTimeout             // no pong in time, or a write timed out
	endShutdown            // Hub.Close
)

type conn struct {
	h      *Hub
	ws     *fastws.Conn
	raw    net.Conn // the TCP conn: closing it is what unblocks reader and writer
	topics []string
	q      chan *fastws.PreparedMessage
	quit   chan struct{} // closed by end: the writer stops
	done   chan struct{} // closed when the writer has stopped
	ended  atomic.Bool
}

// Serve runs one WebSocket connection until it ends: it subscribes to topics,
// then sends initial() (the whole page state, so a reconnect re-syncs), then the
// topic frames in order. Subscribing before rendering initial means a frame
// published after that render is never lost; one published before it may arrive
// after it too, which is harmless because OOB swaps are idempotent and the latest
// publish is always flushed last. When the connection's queue overflows it is
// closed without a close frame, which htmx-ext-ws answers by reconnecting.
// Incoming messages are read and discarded; that is how closes and pongs are noticed.
// initial runs on the connection's writer goroutine, before Serve returns.
func (h *Hub) Serve(c *websocket.Conn, topics []string, initial func() []byte) {
	ws := c.Conn // contrib releases c when the handler returns; keep the real one
	cn := &conn{
		h:      h,
		ws:     ws,
		raw:    RawConn(ws.NetConn()),
		topics: topics,
		q:      make(chan *fastws.PreparedMessage, h.opt.QueueSize),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if !h.add(cn) {
		_ = ws.WriteControl(fastws.CloseMessage, closeRestart, time.Now().Add(closeGrace))
		return
	}
	go cn.writeLoop(initial)
	err := cn.readLoop()
	if isTimeout(err) {
		cn.end(endTimeout)
	} else {
		cn.end(endPeer)
	}
	<-cn.quit // whichever end won has finished with the socket: fasthttp reuses its wrapper
	<-cn.done
	h.remove(cn)
}

var closeRestart = fastws.FormatCloseMessage(fastws.CloseServiceRestart, "")

// RawConn unwraps fasthttp's hijacked conn, whose Close is a no-op until the
// handler returns.
func RawConn(nc net.Conn) net.Conn {
	if u, ok := nc.(interface{ UnsafeConn() net.Conn }); ok {
		return u.UnsafeConn()
	}
	return nc
}

func (c *conn) readLoop() error {
	ws, wait := c.ws, 2*c.h.opt.PingEvery
	ws.SetReadLimit(readLimit)
	alive := func(string) error { return ws.SetReadDeadline(time.Now().Add(wait)) }
	_ = alive("")
	ws.SetPongHandler(alive)
	for {
		// NextReader skips the unread rest of the previous message.
		if _, _, err := ws.NextReader(); err != nil {
			return err
		}
		_ = alive("")
	}
}

func (c *conn) writeLoop(initial func() []byte) {
	defer close(c.done)
	ws, h := c.ws, c.h
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
		_ = ws.SetWriteDeadline(time.Now().Add(h.opt.WriteTimeout))
		if !write(ws.WriteMessage(fastws.TextMessage, first)) {
			return
		}
	}
	for {
		select {
		case pm := <-c.q:
			_ = ws.SetWriteDeadline(time.Now().Add(h.opt.WriteTimeout))
			if !write(ws.WritePreparedMessage(pm)) {
				return
			}
		case <-ping.C:
			if err := ws.WriteControl(fastws.PingMessage, nil, time.Now().Add(h.opt.WriteTimeout)); err != nil {
				write(err)
				return
			}
		case <-c.quit:
			return
		}
	}
}

// enqueue never blocks: a connection that cannot keep up is dropped. It reports
// whether pm was queued.
func (c *conn) enqueue(pm *fastws.PreparedMessage) bool {
	if c.ended.Load() {
		return false
	}
	select {
	case c.q <- pm:
		return true
	default:
		c.end(endDrop)
		return false
	}
}

// end closes the connection once, for the first reason given; quit is closed
// when that is done. Only shutdown says goodbye with a close frame (and may wait
// closeGrace for it); the others just close the socket, so they never block.
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
		_ = c.ws.WriteControl(fastws.CloseMessage, closeRestart, time.Now().Add(closeGrace))
	}
	_ = c.raw.Close()
	close(c.quit)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
