package sim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Poster sends deliveries to a Ringside server, with the source's credentials, at most
// Rate per second. Safe for concurrent use; do not change its fields once in use.
type Poster struct {
	BaseURL string       // e.g. http://localhost:8080
	Client  *http.Client // nil: a keep-alive client with a 10 s timeout (the vendors' own)
	// Rate is deliveries per second. Post alone: 0 or +Inf means unlimited. Run: 0
	// paces stories naturally (Generator.Interval), +Inf plays them as fast as the
	// server answers.
	Rate float64
	// Concurrency bounds the requests in flight (default 32); MaxCalls bounds the
	// stories Run plays at once (default 1000).
	Concurrency, MaxCalls int

	once sync.Once
	sem  chan struct{}
	mu   sync.Mutex
	next time.Time // the rate limiter's next free slot
}

func (p *Poster) init() {
	p.once.Do(func() {
		n := p.Concurrency
		if n <= 0 {
			n = 32
		}
		p.sem = make(chan struct{}, n)
		if p.Client == nil {
			t := http.DefaultTransport.(*http.Transport).Clone()
			t.MaxIdleConns, t.MaxIdleConnsPerHost = n*2, n*2
			p.Client = &http.Client{Timeout: 10 * time.Second, Transport: t}
		}
	})
}

// wait blocks until the rate limiter lets one more delivery go.
func (p *Poster) wait(ctx context.Context) error {
	if p.Rate <= 0 || math.IsInf(p.Rate, 1) {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(time.Duration(float64(time.Second) / p.Rate))
	p.mu.Unlock()
	return sleepUntil(ctx, slot)
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Post sends one delivery as src and returns the HTTP status; err is for no answer.
func (p *Poster) Post(ctx context.Context, src Source, d Delivery) (int, error) {
	code, _, err := p.post(ctx, src, d)
	return code, err
}

// post is Post that also returns the start of the answer's body when it is not 2xx.
func (p *Poster) post(ctx context.Context, src Source, d Delivery) (int, string, error) {
	p.init()
	if err := p.wait(ctx); err != nil {
		return 0, "", err
	}
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return 0, "", ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, d.Method, strings.TrimRight(p.BaseURL, "/")+d.Target, bytes.NewReader(d.Body))
	if err != nil {
		return 0, "", err
	}
	for k, vs := range d.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	Authorize(req.Header, src, d.Body, time.Now())
	resp, err := p.Client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var msg []byte
	if resp.StatusCode/100 != 2 {
		msg, _ = io.ReadAll(io.LimitReader(resp.Body, 300))
	}
	_, _ = io.Copy(io.Discard, resp.Body) // drain, so the connection is reused
	return resp.StatusCode, string(bytes.TrimSpace(msg)), nil
}

// Authorize adds the source's credentials to a request's headers: HTTP Basic, the
// X-Ringside-Token, and the SipSim signature (X-Webhook-Timestamp = now in Unix seconds,
// X-Webhook-Signature) when the source has a signing secret.
func Authorize(h http.Header, src Source, body []byte, now time.Time) {
	if src.Username != "" || src.Password != "" {
		r := http.Request{Header: h}
		r.SetBasicAuth(src.Username, src.Password)
	}
	if src.Token != "" {
		h.Set("X-Ringside-Token", src.Token)
	}
	if src.SigningSecret != "" {
		ts := strconv.FormatInt(now.Unix(), 10)
		h.Set("X-Webhook-Timestamp", ts)
		h.Set("X-Webhook-Signature", Signature(src.SigningSecret, ts, body))
	}
}

// Signature is SipSim's webhook signature: hex HMAC-SHA256 of "{timestamp}.{raw body}".
func Signature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
