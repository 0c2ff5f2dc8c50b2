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

	"ringside/server/config"
	"ringside/store"
)

// Sessions are signed cookies ("id|user|expiry|generation|mac") so a restart does not
// log the wallboard TV out; the signing key lives in DATA/session.key. Logout revokes
// the session id in the store (it stays revoked across restarts) and closes the
// session's open sockets; a changed password changes the person's generation, which
// ends every session issued before it.
const (
	sessionCookie = "ringside_session"
	loginCookie   = "ringside_login" // CSRF token for the login form (double submit)
	sessionTTL    = 7 * 24 * time.Hour
)

type sessions struct {
	key     []byte
	st      *store.Store
	mu      sync.Mutex
	revoked map[string]time.Time // session id → until when its cookie could be shown
}

// loadSessions reads the signing key and the revoked sessions.
func loadSessions(dir string, st *store.Store, now time.Time) (*sessions, error) {
	key, err := loadSessionKey(dir)
	if err != nil {
		return nil, err
	}
	revoked, err := st.RevokedSessions(now)
	if err != nil {
		return nil, err
	}
	return &sessions{key: key, st: st, revoked: revoked}, nil
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

// issue makes a cookie value for a person: "id|user|expiry|generation|mac".
func (s *sessions) issue(u *config.User, now time.Time) string {
	id := randomID()
	exp := strconv.FormatInt(now.Add(sessionTTL).Unix(), 10)
	gen := s.generation(u)
	return strings.Join([]string{id, u.Name, exp, gen, s.mac(id, u.Name, exp, gen)}, "|")
}

// generation ties a session to the person's password as configured: a new password
// (or hash) gives a new generation, and every cookie issued before stops working. It
// is a MAC, so the cookie reveals nothing of the password.
func (s *sessions) generation(u *config.User) string {
	cred := u.PasswordHash
	if cred == "" {
		cred = u.Password
	}
	return s.mac("generation", u.Name, cred)[:22]
}

var errNoSession = errors.New("no session")

// cookie is a parsed, authentic, unexpired and unrevoked session cookie.
type cookie struct{ id, user, generation string }

// parse checks a cookie value.
func (s *sessions) parse(v string, now time.Time) (cookie, error) {
	p := strings.Split(v, "|")
	if len(p) != 5 || !hmac.Equal([]byte(p[4]), []byte(s.mac(p[0], p[1], p[2], p[3]))) {
		return cookie{}, errNoSession
	}
	exp, err := strconv.ParseInt(p[2], 10, 64)
	if err != nil || now.Unix() > exp {
		return cookie{}, errNoSession
	}
	s.mu.Lock()
	_, gone := s.revoked[p[0]]
	s.mu.Unlock()
	if gone {
		return cookie{}, errNoSession
	}
	return cookie{id: p[0], user: p[1], generation: p[3]}, nil
}

// revoke logs a session out, durably: the id is kept in the store until the cookie
// would have expired anyway, so a restart does not bring it back.
func (s *sessions) revoke(id string, now time.Time) error {
	s.mu.Lock()
	for k, until := range s.revoked {
		if now.After(until) {
			delete(s.revoked, k)
		}
	}
	s.revoked[id] = now.Add(sessionTTL)
	s.mu.Unlock()
	return s.st.RevokeSession(id, now.Add(sessionTTL), now)
}

// closeEndedSockets closes the sockets of sessions the configuration has just ended:
// their person is gone, or has a new password.
func (s *Server) closeEndedSockets() {
	byName := s.users().byName
	s.sockets.closeWhere(func(_ string, ss *sessionSockets) bool {
		u, ok := byName[ss.user]
		return !ok || !equal(ss.generation, s.sessions.generation(u))
	})
}

// csrf is the session's CSRF token, sent in forms and the X-CSRF-Token header.
func (s *sessions) csrf(id string) string { return s.mac("csrf", id) }

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
