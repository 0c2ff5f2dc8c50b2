package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clientFrom is an HTTP client whose connections come from a given loopback address,
// as distinct outside clients would.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// loginForm posts the login form (with a CSRF cookie of its own) and returns the answer.
func (e *testEnv) loginForm(client *http.Client, user, pass string) *http.Response {
	e.t.Helper()
	const tok = "csrf-token-of-this-test"
	form := url.Values{"username": {user}, "password": {pass}, "csrf": {tok}}
	req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: loginCookie, Value: tok})
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestPasswordGuessingThrottled: ten wrong passwords in a minute are answered 401, the
// eleventh 429 with Retry-After — even with the right password, and from another
// address for the same name; the lockout doubles each time; wrong API keys likewise.
func TestPasswordGuessingThrottled(t *testing.T) {
	clock := &testClock{}
	clock.set(time.Now())
	e := startEnvWith(t, testConfig(t), func(s *Server) { s.now = clock.now })
	guesser := clientFrom("127.0.0.5")
	for i := 1; i <= 10; i++ {
		if resp := e.loginForm(guesser, "admin", fmt.Sprint("guess", i)); resp.StatusCode != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i, resp.StatusCode)
		}
		if i < 10 {
			clock.set(clock.now().Add(3 * time.Second))
		}
	}
	resp := e.loginForm(guesser, "admin", "adminpw")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("11th try within a minute: %d Retry-After %q, want 429 and 60", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := e.loginForm(clientFrom("127.0.0.6"), "admin", "adminpw"); resp.StatusCode != 429 {
		t.Errorf("the locked name from another address: %d, want 429", resp.StatusCode)
	}
	if resp := e.loginForm(clientFrom("127.0.0.6"), "agent1", "agentpw"); resp.StatusCode != 303 {
		t.Errorf("another person from another address: %d, want 303 (logged in)", resp.StatusCode)
	}
	// after the minute: one more wrong guess locks for two minutes, then four
	for _, want := range []string{"120", "240"} {
		clock.set(clock.now().Add(5 * time.Minute))
		if resp := e.loginForm(guesser, "admin", "again"); resp.StatusCode != 401 {
			t.Fatalf("a try after the lockout: %d, want 401", resp.StatusCode)
		}
		if resp := e.loginForm(guesser, "admin", "again"); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != want {
			t.Fatalf("next try: %d Retry-After %q, want 429 and %s", resp.StatusCode, resp.Header.Get("Retry-After"), want)
		}
	}

	// API keys: ten wrong keys from one address, then 429 even for a right one there
	keyGuesser := clientFrom("127.0.0.7")
	api := func(client *http.Client, key string) int {
		req, _ := http.NewRequest("GET", e.url+"/api/v1/calls", nil)
		req.Header.Set("X-APIKEY", key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 1; i <= 10; i++ {
		if code := api(keyGuesser, fmt.Sprint("key", i)); code != 401 {
			t.Fatalf("wrong API key %d: %d, want 401", i, code)
		}
	}
	if code := api(keyGuesser, "admin-key"); code != 429 {
		t.Errorf("11th API key try from the guessing address: %d, want 429", code)
	}
	if code := api(clientFrom("127.0.0.8"), "admin-key"); code != 200 {
		t.Errorf("the right key from another address: %d, want 200", code)
	}
}

// TestLoginFloodSparesWebhooks: 32 clients on 50 addresses post wrong logins (unknown
// names, so only the per-address lock stops them: 500 bcrypt checks) while a PBX
// posts webhooks. bcrypt runs on a bounded pool, so intake keeps its core.
func TestLoginFloodSparesWebhooks(t *testing.T) {
	e := startEnv(t, testConfig(t))
	e.hookP99(20, "warm")
	var sent, tries, locked, busy atomic.Int64
	p99, rounds, bound := e.underAttack(func(round int) func() {
		ctx, cancel := context.WithCancel(context.Background())
		clients := make([]*http.Client, 50)
		for i := range clients {
			clients[i] = clientFrom(fmt.Sprintf("127.0.%d.%d", 10+round, 10+i))
		}
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					form := url.Values{"username": {fmt.Sprint("nobody", w, i)}, "password": {"x"}, "csrf": {"t"}}
					req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/login", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.AddCookie(&http.Cookie{Name: loginCookie, Value: "t"})
					sent.Add(1)
					resp, err := clients[(w+i*32)%50].Do(req)
					if err != nil {
						continue // cancelled at the end of the round
					}
					resp.Body.Close()
					tries.Add(1)
					switch resp.StatusCode {
					case 429:
						locked.Add(1)
					case 503:
						busy.Add(1)
					}
				}
			}()
		}
		time.Sleep(300 * time.Millisecond) // the flood is on
		return func() {
			cancel()
			wg.Wait()
			for _, c := range clients {
				c.CloseIdleConnections()
			}
		}
	})
	t.Logf("login flood: %d sent, %d answered (%d 429, %d 503 busy), webhook p99 %v (rounds %v, bound %v)",
		sent.Load(), tries.Load(), locked.Load(), busy.Load(), p99, rounds, bound)
	if sent.Load() < 32 || tries.Load() == locked.Load() {
		t.Errorf("%d logins sent, %d answered, %d of them 429: the flood did not take place", sent.Load(), tries.Load(), locked.Load())
	}
	if p99 >= bound {
		t.Errorf("webhook p99 %v during the login flood (rounds %v), want < %v", p99, rounds, bound)
	}
}
