package server

import (
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// realClient runs before every route. Behind a reverse proxy listed in
// trusted_proxies, the client is the rightmost X-Forwarded-For address that is not
// itself a trusted proxy (entries left of it were written by whoever sent the
// request, so they prove nothing); everything after this sees it as c.IP():
// allow_ips, throttles, logs. From any other peer the header is ignored.
func (s *Server) realClient(c *fiber.Ctx) error {
	ctx := c.Context()
	conn := ctx.Conn()
	if conn == nil {
		return c.Next()
	}
	peer, ok := conn.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return c.Next()
	}
	// A kept-alive connection reuses its context: reset what its previous request set.
	ctx.SetRemoteAddr(peer)
	proxies := s.cfg().Proxies
	if len(proxies) == 0 || !inNets(peer.IP, proxies) {
		return c.Next()
	}
	if ip := forwardedClient(c.Get(fiber.HeaderXForwardedFor), proxies); ip != nil {
		ctx.SetRemoteAddr(&net.TCPAddr{IP: ip})
	}
	return c.Next()
}

// forwardedClient walks an X-Forwarded-For list from the right past the trusted
// proxies. An entry that is not an address ends the walk with no answer (the proxy's
// own address stands); a list of trusted proxies only gives its leftmost.
func forwardedClient(xff string, trusted []*net.IPNet) net.IP {
	if xff == "" {
		return nil
	}
	parts := strings.Split(xff, ",")
	var ip net.IP
	for i := len(parts) - 1; i >= 0; i-- {
		ip = parseHostIP(strings.TrimSpace(parts[i]))
		if ip == nil {
			return nil
		}
		if !inNets(ip, trusted) {
			return ip
		}
	}
	return ip
}

// parseHostIP reads "1.2.3.4", "2001:db8::1", "1.2.3.4:5678" or "[2001:db8::1]:5678".
func parseHostIP(s string) net.IP {
	if ip := net.ParseIP(s); ip != nil {
		return ip
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		return net.ParseIP(host)
	}
	return nil
}

func inNets(ip net.IP, nets []*net.IPNet) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
