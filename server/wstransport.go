package server

import (
	"net"
	"time"

	fastws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"

	"ringside/server/hub"
)

// readLimit caps what one message from a browser may hold: pages send us nothing we use.
const readLimit = 64 << 10

// closeRestart is the close frame of a shutdown: 1012, which htmx-ext-ws answers by
// reconnecting.
var closeRestart = fastws.FormatCloseMessage(fastws.CloseServiceRestart, "")

// wsTransport is a page's WebSocket as the hub's Transport.
type wsTransport struct {
	ws  *fastws.Conn // contrib releases its wrapper when the handler returns; keep the real one
	raw net.Conn     // the TCP conn: closing it is what unblocks reader and writer
}

func newWSTransport(c *websocket.Conn) *wsTransport {
	return &wsTransport{ws: c.Conn, raw: rawConn(c.NetConn())}
}

// Write sends m as a text message, encoded once for every socket it goes to.
func (t *wsTransport) Write(m *hub.Message, deadline time.Time) error {
	pm, _ := m.Encoded(func(b []byte) any {
		pm, err := fastws.NewPreparedMessage(fastws.TextMessage, b)
		if err != nil { // only for invalid message types
			return nil
		}
		return pm
	}).(*fastws.PreparedMessage)
	_ = t.ws.SetWriteDeadline(deadline)
	if pm == nil {
		return t.ws.WriteMessage(fastws.TextMessage, m.Data)
	}
	return t.ws.WritePreparedMessage(pm)
}

func (t *wsTransport) Ping(deadline time.Time) error {
	return t.ws.WriteControl(fastws.PingMessage, nil, deadline)
}

// Receive reads and discards messages; each message and each pong extends the idle
// deadline, so a peer that answers nothing for idle ends with a timeout.
func (t *wsTransport) Receive(idle time.Duration) error {
	ws := t.ws
	ws.SetReadLimit(readLimit)
	alive := func(string) error { return ws.SetReadDeadline(time.Now().Add(idle)) }
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

func (t *wsTransport) Goodbye(deadline time.Time) error {
	return t.ws.WriteControl(fastws.CloseMessage, closeRestart, deadline)
}

func (t *wsTransport) Close() error { return t.raw.Close() }

// rawConn unwraps fasthttp's hijacked conn, whose Close is a no-op until the
// handler returns.
func rawConn(nc net.Conn) net.Conn {
	if u, ok := nc.(interface{ UnsafeConn() net.Conn }); ok {
		return u.UnsafeConn()
	}
	return nc
}
