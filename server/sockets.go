package server

import (
	"net"
	"sync"

	"github.com/gofiber/contrib/websocket"
)

// liveSockets are the open page sockets by session, so that logging out (or a new
// password) closes them: a socket was admitted by a session, and must not keep
// streaming once that session has ended.
type liveSockets struct {
	mu        sync.Mutex
	bySession map[string]*sessionSockets
}

// sessionSockets are one session's sockets and whose session it is.
type sessionSockets struct {
	user, generation string
	conns            map[net.Conn]struct{}
}

// add registers a socket of a session; the returned func forgets it.
func (l *liveSockets) add(sess *session, generation string, ws *websocket.Conn) func() {
	// the raw connection: fasthttp's hijacked wrapper does not close until the handler
	// returns, and contrib reuses ws after that
	c := rawConn(ws.NetConn())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bySession == nil {
		l.bySession = map[string]*sessionSockets{}
	}
	ss := l.bySession[sess.ID]
	if ss == nil {
		ss = &sessionSockets{user: sess.User.Name, generation: generation, conns: map[net.Conn]struct{}{}}
		l.bySession[sess.ID] = ss
	}
	ss.conns[c] = struct{}{}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(ss.conns, c)
		if len(ss.conns) == 0 && l.bySession[sess.ID] == ss {
			delete(l.bySession, sess.ID)
		}
	}
}

// closeSession closes every open socket of a session (the page then shows itself
// disconnected, and its reconnect is refused without a session).
func (l *liveSockets) closeSession(id string) {
	l.closeWhere(func(sid string, _ *sessionSockets) bool { return sid == id })
}

// closeWhere closes the sockets of every session ended says has ended.
func (l *liveSockets) closeWhere(ended func(id string, ss *sessionSockets) bool) {
	var conns []net.Conn
	l.mu.Lock()
	for id, ss := range l.bySession {
		if ended(id, ss) {
			for c := range ss.conns {
				conns = append(conns, c)
			}
			delete(l.bySession, id)
		}
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
