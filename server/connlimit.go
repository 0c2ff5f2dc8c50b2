package server

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// limitConnsPerIP caps the connections one client address holds open at max (max < 0:
// no cap), so one client cannot take every goroutine and read buffer with slow
// connections. IPv6 clients are counted per /64, the block one subscriber usually
// gets. A connection over the cap is answered 429 and closed at once. (fasthttp's own
// MaxConnsPerIP counts IPv4 only.)
func limitConnsPerIP(ln net.Listener, max int, log *slog.Logger) net.Listener {
	if max < 0 {
		return ln
	}
	return &perIPListener{Listener: ln, max: max, open: map[netip.Addr]int{}, log: log}
}

type perIPListener struct {
	net.Listener
	max    int
	log    *slog.Logger
	mu     sync.Mutex
	open   map[netip.Addr]int
	warned time.Time // last log line about a refused connection (at most one a minute)
}

var tooManyConns = []byte("HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 34\r\n\r\ntoo many connections from your IP\n")

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientKey(c.RemoteAddr())
		if l.admit(ip) {
			return &countedConn{Conn: c, l: l, ip: ip}, nil
		}
		go func() { // never block Accept on a client that does not read
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write(tooManyConns)
			c.Close()
		}()
	}
}

func (l *perIPListener) admit(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip] >= l.max {
		if now := time.Now(); now.Sub(l.warned) > time.Minute {
			l.warned = now
			l.log.Warn("connection refused: too many from one address", "ip", ip, "max_conns_per_ip", l.max)
		}
		return false
	}
	l.open[ip]++
	return true
}

func (l *perIPListener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

// clientKey is the address a connection is counted under.
func clientKey(a net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// countedConn gives its slot back once, when closed.
type countedConn struct {
	net.Conn
	l    *perIPListener
	ip   netip.Addr
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.release(c.ip) })
	return c.Conn.Close()
}
