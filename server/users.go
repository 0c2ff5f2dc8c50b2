package server

import (
	"crypto/sha256"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"ringside/server/config"
)

// users checks people's and API clients' credentials. Plain passwords from the config
// are bcrypt-hashed in the background from the start (a check waits for its user's
// hash): hashing them before listening held the port closed for a bcrypt per user,
// seconds on a busy machine. A successful check is cached (by a hash of the password)
// so the JSON API does not pay bcrypt on every request.
type users struct {
	byName map[string]*config.User
	hashes map[string]func() []byte // computed once, on first use or by warm
	byKey  map[string]*config.User
	mu     sync.Mutex
	ok     map[[32]byte]string // sha256(name \x00 password) → name
	pool   *bcryptPool
}

// newUsers hashes the plain passwords of list; prev (may be nil) lends the hash of a
// user whose plain password did not change (a reload).
func newUsers(list []config.User, prev *users) *users {
	u := &users{byName: map[string]*config.User{}, hashes: map[string]func() []byte{}, byKey: map[string]*config.User{}, ok: map[[32]byte]string{},
		pool: poolOf(prev)}
	for i := range list {
		usr := &list[i]
		u.byName[usr.Name] = usr
		if usr.PasswordHash != "" {
			h := []byte(usr.PasswordHash)
			u.hashes[usr.Name] = func() []byte { return h }
		} else if old := prev.samePassword(usr); old != nil {
			u.hashes[usr.Name] = old
		} else if usr.Password != "" {
			plain := []byte(usr.Password)
			u.hashes[usr.Name] = sync.OnceValue(func() []byte {
				h, _ := bcrypt.GenerateFromPassword(plain, bcrypt.DefaultCost)
				return h
			})
		}
		if usr.APIKey != "" {
			u.byKey[usr.APIKey] = usr
		}
	}
	go u.warm()
	return u
}

// warm computes the hashes (and the dummy one) off the start's path.
func (u *users) warm() {
	dummyHash()
	for _, h := range u.hashes {
		h()
	}
}

// samePassword is the hash of usr's plain password if u had it unchanged, else nil.
func (u *users) samePassword(usr *config.User) func() []byte {
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
	var h []byte
	if hash := u.hashes[name]; hash != nil {
		h = hash()
	}
	if !ok || h == nil {
		// spend the same time as a real check so names cannot be probed
		err := u.pool.run(func() { bcrypt.CompareHashAndPassword(dummyHash(), []byte(password)) })
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

// dummyHash is what an unknown name's password is checked against (computed once, by
// warm at start, not at program init where it held up the start).
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("ringside"), bcrypt.DefaultCost)
	return h
})
