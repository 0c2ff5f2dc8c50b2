package server

import (
	"errors"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"
)

// Guessing passwords and API keys is throttled per client address and per user name:
// each key may fail guessBurst times in a row, then one more a minute (a token bucket
// from golang.org/x/time/rate). Emptying the bucket locks the key out for a minute;
// after that each failure locks it again for twice as long, up to maxLockout, so a
// patient guesser gets a handful of tries an hour instead of thousands. A locked-out request is answered 429
// with Retry-After before any password is hashed, so it costs no bcrypt.
//
// The per-name lock also answers a guesser who spreads over many addresses; it lets
// such a guesser lock a person out for a while, which is the price of stopping it.
// Names that are not configured get no lock of their own (inventing names must not
// grow the table): the address lock bounds them.
const (
	guessBurst  = 10
	firstLock   = time.Minute
	maxLockout  = 15 * time.Minute
	forgetAfter = time.Hour // a key idle this long (and not locked) is forgotten, strikes and all
	maxKeys     = 100_000   // beyond this, idle keys are swept at once
)

type guessGuard struct {
	mu    sync.Mutex
	keys  map[string]*guesses
	swept time.Time
}

type guesses struct {
	bucket  *rate.Limiter
	strikes int       // lockouts so far
	until   time.Time // locked out until
	last    time.Time // last failure
}

func newGuessGuard() *guessGuard { return &guessGuard{keys: map[string]*guesses{}} }

// wait is how long the keys must still wait before another try (0: try now).
func (g *guessGuard) wait(now time.Time, keys ...string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var d time.Duration
	for _, k := range keys {
		if e := g.keys[k]; e != nil && now.Before(e.until) {
			d = max(d, e.until.Sub(now))
		}
	}
	return d
}

// failed records a wrong secret for each key; a key whose bucket runs dry is locked out.
func (g *guessGuard) failed(now time.Time, keys ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now)
	for _, k := range keys {
		e := g.keys[k]
		if e == nil {
			e = &guesses{bucket: rate.NewLimiter(rate.Every(time.Minute), guessBurst)}
			g.keys[k] = e
		}
		e.last = now
		if e.bucket.AllowN(now, 1) && e.bucket.TokensAt(now) >= 1 && e.strikes == 0 {
			continue // after a lockout every failure locks again, for twice as long
		}
		lock := firstLock * time.Duration(math.Pow(2, float64(min(e.strikes, 10))))
		e.until = now.Add(min(lock, maxLockout))
		e.strikes++
	}
}

// succeeded forgets a name's failures (the address keeps its own: one right password
// must not buy an address ten more guesses at others).
func (g *guessGuard) succeeded(key string) {
	g.mu.Lock()
	delete(g.keys, key)
	g.mu.Unlock()
}

// sweep forgets idle keys, once a minute or when the table is full.
func (g *guessGuard) sweep(now time.Time) {
	if now.Sub(g.swept) < time.Minute && len(g.keys) < maxKeys {
		return
	}
	g.swept = now
	for k, e := range g.keys {
		if now.After(e.until) && now.Sub(e.last) > forgetAfter || len(g.keys) >= maxKeys && now.After(e.until) {
			delete(g.keys, k)
		}
	}
}

func ipKey(c *fiber.Ctx) string { return "ip:" + c.IP() }

func nameKey(u *users, name string) string {
	if _, ok := u.byName[name]; ok {
		return "user:" + name
	}
	return "" // see the package comment above: unknown names share no lock
}

// guessKeys are the keys a try with name (may be empty) counts against.
func (s *Server) guessKeys(c *fiber.Ctx, name string) []string {
	keys := []string{ipKey(c)}
	if k := nameKey(s.users(), name); k != "" {
		keys = append(keys, k)
	}
	return keys
}

// lockedOut sets Retry-After and returns the seconds to wait if the keys are locked
// out (0: go ahead).
func (s *Server) lockedOut(c *fiber.Ctx, keys []string) int {
	d := s.guesses.wait(s.now(), keys...)
	if d <= 0 {
		return 0
	}
	secs := int(math.Ceil(d.Seconds()))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return secs
}

// errBusy: every bcrypt worker stayed busy for bcryptWait.
var errBusy = errors.New("too many logins at once, retry later")

// bcryptWait is how long a password check waits for a bcrypt worker before the
// request is answered 503.
const bcryptWait = 5 * time.Second

// bcryptPool runs password hashes on a bounded number of workers (half the cores, at
// least one), each on an OS thread of its own with a lower scheduling priority: a
// flood of logins queues here, and the kernel gives webhook intake the CPU first.
type bcryptPool struct {
	jobs   chan bcryptJob
	quit   chan struct{}
	closed sync.Once
}

type bcryptJob struct {
	f    func()
	done chan struct{}
}

func newBcryptPool(n int) *bcryptPool {
	p := &bcryptPool{jobs: make(chan bcryptJob), quit: make(chan struct{})}
	for range max(1, n) {
		go p.work()
	}
	return p
}

func (p *bcryptPool) work() {
	runtime.LockOSThread() // never unlocked: the thread ends with the worker
	lowerThreadPriority()
	for {
		select {
		case j := <-p.jobs:
			j.f()
			close(j.done)
		case <-p.quit:
			return
		}
	}
}

// run runs f on a worker, or gives up with errBusy after bcryptWait.
func (p *bcryptPool) run(f func()) error {
	t := time.NewTimer(bcryptWait)
	defer t.Stop()
	j := bcryptJob{f: f, done: make(chan struct{})}
	select {
	case p.jobs <- j:
	case <-t.C:
		return errBusy
	}
	<-j.done
	return nil
}

// close ends the workers.
func (p *bcryptPool) close() { p.closed.Do(func() { close(p.quit) }) }
