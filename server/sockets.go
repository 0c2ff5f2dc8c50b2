package server

import (
	"net"
	"sync"

	"github.com/gofiber/contrib/websocket"

	"ringside/server/hub"
)

// liveSockets are the open page sockets by session, so that logging out closes them:
// a socket was admitted by a session, and must not keep streaming once it has ended.
type liveSockets struct {
	mu        sync.Mutex
	bySession map[string]map[net.Conn]struct{}
}

// add registers a socket of a session; the returned func forgets it.
func (l *liveSockets) add(session string, ws *websocket.Conn) func() {
	// the raw connection: fasthttp's hijacked wrapper does not close until the handler
	// returns, and contrib reuses ws after that
	c := hub.RawConn(ws.NetConn())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bySession == nil {
		l.bySession = map[string]map[net.Conn]struct{}{}
	}
	if l.bySession[session] == nil {
		l.bySession[session] = map[net.Conn]struct{}{}
	}
	l.bySession[session][c] = struct{}{}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.bySession[session], c)
		if len(l.bySession[session]) == 0 {
			delete(l.bySession, session)
		}
	}
}

// closeSession closes every open socket of a session (the page then shows itself
// disconnected, and its reconnect is refused without a session).
func (l *liveSockets) closeSession(session string) {
	l.mu.Lock()
	conns := l.bySession[session]
	delete(l.bySession, session)
	l.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}
