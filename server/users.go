package server

import (
	"crypto/sha256"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"ringside/server/config"
)

// users checks people's and API clients' credentials. Plain passwords from the config
// are bcrypt-hashed at start; a successful check is cached (by a hash of the password)
// so the JSON API does not pay bcrypt on every request.
type users struct {
	byName map[string]*config.User
	hashes map[string][]byte
	byKey  map[string]*config.User
	mu     sync.Mutex
	ok     map[[32]byte]string // sha256(name \x00 password) → name
	pool   *bcryptPool
}

// newUsers hashes the plain passwords of list; prev (may be nil) lends the hash of a
// user whose plain password did not change (a reload).
func newUsers(list []config.User, prev *users) *users {
	u := &users{byName: map[string]*config.User{}, hashes: map[string][]byte{}, byKey: map[string]*config.User{}, ok: map[[32]byte]string{},
		pool: poolOf(prev)}
	for i := range list {
		usr := &list[i]
		u.byName[usr.Name] = usr
		if usr.PasswordHash != "" {
			u.hashes[usr.Name] = []byte(usr.PasswordHash)
		} else if old := prev.samePassword(usr); old != nil {
			u.hashes[usr.Name] = old
		} else if usr.Password != "" {
			h, err := bcrypt.GenerateFromPassword([]byte(usr.Password), bcrypt.DefaultCost)
			if err == nil {
				u.hashes[usr.Name] = h
			}
		}
		if usr.APIKey != "" {
			u.byKey[usr.APIKey] = usr
		}
	}
	return u
}

// samePassword is the hash of usr's plain password if u had it unchanged, else nil.
func (u *users) samePassword(usr *config.User) []byte {
	if u == nil || usr.Password == "" {
		return nil
	}
	if was, ok := u.byName[usr.Name]; ok && was.PasswordHash == "" && was.Password == usr.Password {
		return u.hashes[usr.Name]
	}
	return nil
}

// poolOf is prev's bcrypt pool (a reload keeps it), or a new one.
func poolOf(prev *users) *bcryptPool {
	if prev != nil {
		return prev.pool
	}
	return newBcryptPool(runtime.GOMAXPROCS(0) / 2)
}

// password returns the user if name and password match; errBusy if no bcrypt worker
// was free in time.
func (u *users) password(name, password string) (*config.User, bool, error) {
	usr, ok := u.byName[name]
	h := u.hashes[name]
	if !ok || h == nil {
		// spend the same time as a real check so names cannot be probed
		err := u.pool.run(func() { bcrypt.CompareHashAndPassword(dummyHash, []byte(password)) })
		return nil, false, err
	}
	key := sha256.Sum256([]byte(name + "\x00" + password))
	u.mu.Lock()
	cached := u.ok[key] == name
	u.mu.Unlock()
	if cached {
		return usr, true, nil
	}
	var wrong error
	if err := u.pool.run(func() { wrong = bcrypt.CompareHashAndPassword(h, []byte(password)) }); err != nil {
		return nil, false, err
	}
	if wrong != nil {
		return nil, false, nil
	}
	u.mu.Lock()
	u.ok[key] = name
	u.mu.Unlock()
	return usr, true, nil
}

// apiKey returns the user owning key.
func (u *users) apiKey(key string) (*config.User, bool) {
	for k, usr := range u.byKey {
		if equal(k, key) {
			return usr, true
		}
	}
	return nil, false
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("ringside"), bcrypt.DefaultCost)
