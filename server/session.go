package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/config"
)

// Sessions are stateless signed cookies ("id|user|expiry|mac") so a restart does not log
// the wallboard TV out; the signing key lives in DATA/session.key. Logout revokes the
// session id in memory (a restart forgets revocations, but the cookie is cleared too).
const (
	sessionCookie = "ringside_session"
	loginCookie   = "ringside_login" // CSRF token for the login form (double submit)
	sessionTTL    = 7 * 24 * time.Hour
)

type sessions struct {
	key     []byte
	mu      sync.Mutex
	revoked map[string]time.Time
}

// session is a logged-in person.
type session struct {
	ID   string
	User *config.User
}

func loadSessionKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, "session.key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return key, nil
}

func (s *sessions) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(strings.Join(parts, "|")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// issue makes a cookie value for user.
func (s *sessions) issue(user string, now time.Time) string {
	id := randomID()
	exp := strconv.FormatInt(now.Add(sessionTTL).Unix(), 10)
	return strings.Join([]string{id, user, exp, s.mac(id, user, exp)}, "|")
}

var errNoSession = errors.New("no session")

// parse checks a cookie value and returns the session id and user name.
func (s *sessions) parse(v string, now time.Time) (id, user string, err error) {
	p := strings.Split(v, "|")
	if len(p) != 4 || !hmac.Equal([]byte(p[3]), []byte(s.mac(p[0], p[1], p[2]))) {
		return "", "", errNoSession
	}
	exp, err := strconv.ParseInt(p[2], 10, 64)
	if err != nil || now.Unix() > exp {
		return "", "", errNoSession
	}
	s.mu.Lock()
	_, gone := s.revoked[p[0]]
	s.mu.Unlock()
	if gone {
		return "", "", errNoSession
	}
	return p[0], p[1], nil
}

func (s *sessions) revoke(id string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.revoked {
		if now.Sub(t) > sessionTTL {
			delete(s.revoked, k)
		}
	}
	s.revoked[id] = now
}

// csrf is the session's CSRF token, sent in forms and the X-CSRF-Token header.
func (s *sessions) csrf(id string) string { return s.mac("csrf", id) }

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// securityHeaders is set on every response: no inline script, no framing.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' https: http:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	c.Set("X-Frame-Options", "DENY")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	return c.Next()
}
