package sim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/ingest"
	"ringside/server/ingest/ingesttest"
)

// received is one request as a loopback server saw it.
type received struct {
	method, path, query string
	header              http.Header
	body                []byte
}

// listen serves h on a real loopback listener and returns its base URL.
func listen(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestPosterSetsCredentials(t *testing.T) {
	var mu sync.Mutex
	var got []received
	base := listen(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		mu.Unlock()
		w.Write([]byte(`{"success":1,"message":""}`))
	})
	basic := Source{Name: "pbx1", Vendor: "simotel", Username: "hook", Password: "s3cret:x"}
	token := Source{Name: "cloud", Vendor: "cloudcdr", Token: "tok-123", Variant: "get"}
	signed := Source{Name: "sipsim", Vendor: "sipsim", SigningSecret: "whsec_abc", Token: "tok-456"}
	p := &Poster{BaseURL: base + "/"}
	ctx := context.Background()
	for _, src := range []Source{basic, token, signed} {
		d := Render(src, story(QueueAnswered, src.Vendor))[0]
		if code, err := p.Post(ctx, src, d); err != nil || code != 200 {
			t.Fatalf("%s: %d %v", src.Name, code, err)
		}
	}
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}

	r := &http.Request{Header: got[0].header}
	if u, pw, ok := r.BasicAuth(); !ok || u != "hook" || pw != "s3cret:x" {
		t.Errorf("basic auth %q %q %v", u, pw, ok)
	}
	if got[0].method != "POST" || got[0].path != "/hooks/pbx1" || got[0].header.Get("Content-Type") != "application/json" ||
		!strings.Contains(string(got[0].body), `"event_name":"IncomingCall"`) {
		t.Errorf("simotel request %+v", got[0])
	}
	if got[0].header.Get("X-Ringside-Token") != "" || got[0].header.Get("X-Webhook-Signature") != "" {
		t.Error("credentials the source does not have were sent")
	}

	if got[1].header.Get("X-Ringside-Token") != "tok-123" || got[1].header.Get("Authorization") != "" {
		t.Errorf("token request headers %v", got[1].header)
	}
	if got[1].method != "GET" || !strings.Contains(got[1].query, "cdr%5Bid%5D=") || len(got[1].body) != 0 {
		t.Errorf("cloudcdr GET %+v", got[1])
	}

	// Our own check of SipSim's signature: hex HMAC-SHA256 of "{timestamp}.{raw body}".
	h := got[2].header
	ts, err := strconv.ParseInt(h.Get("X-Webhook-Timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Second {
		t.Errorf("timestamp %q is not now in Unix seconds", h.Get("X-Webhook-Timestamp"))
	}
	m := hmac.New(sha256.New, []byte("whsec_abc"))
	m.Write([]byte(h.Get("X-Webhook-Timestamp") + "." + string(got[2].body)))
	if want := hex.EncodeToString(m.Sum(nil)); h.Get("X-Webhook-Signature") != want {
		t.Errorf("signature %q, want %q", h.Get("X-Webhook-Signature"), want)
	}
	if h.Get("X-Ringside-Token") != "tok-456" || !strings.HasPrefix(string(got[2].body), `{"event":"incoming_call_start"`) {
		t.Errorf("sipsim request %+v", got[2])
	}
}

func TestPosterRate(t *testing.T) {
	base := listen(t, func(w http.ResponseWriter, r *http.Request) {})
	p := &Poster{BaseURL: base, Rate: 100}
	src := Source{Name: "ipex", Vendor: "voipex"}
	d := Render(src, story(AgentLogin, "voipex"))[0]
	began := time.Now()
	var wg sync.WaitGroup
	for range 31 {
		wg.Go(func() {
			if code, err := p.Post(context.Background(), src, d); code != 200 || err != nil {
				t.Errorf("%d %v", code, err)
			}
		})
	}
	wg.Wait()
	if el := time.Since(began); el < 290*time.Millisecond || el > 2*time.Second {
		t.Errorf("31 deliveries at 100/s took %s, want about 0.3 s", el)
	}
}

// Run against a loopback server that decodes like Ringside: every delivery of every
// generated story is accepted, and each call's events arrive in story order.
func TestRunPlaysStories(t *testing.T) {
	srcs := map[string]ingest.Source{}
	for name, s := range ingesttest.Sources() {
		srcs[name] = s
	}
	var mu sync.Mutex
	calls := map[string][]call.Type{}
	base := listen(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		raw := ingesttest.Raw{Method: r.Method, Target: r.URL.RequestURI(), Header: r.Header, Body: b}
		req := raw.Request()
		req.ReceivedAt = time.Now()
		res, err := ingest.Decode(srcs[raw.Source()], req)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		for _, e := range res.Events {
			if e.Call != "" {
				calls[e.Call] = append(calls[e.Call], e.Type)
			}
		}
		mu.Unlock()
	})
	var sources []Source
	for _, name := range []string{"pbx1", "ipex", "ipexr", "cloud", "sipsim"} {
		s := srcs[name]
		sources = append(sources, Source{Name: name, Vendor: s.Vendor, Location: s.Location, KeyMap: s.KeyMap, Variant: VariantMix})
	}
	g := NewGenerator(5, sources, Options{Speed: 2000})
	st, err := Run(context.Background(), &Poster{BaseURL: base, Rate: 2000}, g, 120)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(st)
	if st.Stories != 120 || st.Sent < 120 || st.OK != st.Sent || st.Errors != 0 {
		t.Fatalf("stats %s", st)
	}
	if len(calls) < 50 {
		t.Errorf("only %d calls seen", len(calls))
	}
	for id, ts := range calls {
		first := ts[0]
		if first != call.CallOffered && first != call.CallRecord && first != call.CallEnded && first != call.AgentState {
			t.Errorf("call %s began with %s: %v", id, first, ts)
		}
		last := ts[len(ts)-1]
		if last != call.CallRecord && last != call.CallEnded {
			t.Errorf("call %s ended with %s: %v", id, last, ts)
		}
	}
}

func TestRunStopsWithContext(t *testing.T) {
	base := listen(t, func(w http.ResponseWriter, r *http.Request) {})
	g := NewGenerator(1, []Source{{Name: "ipex", Vendor: "voipex"}}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	st, err := Run(ctx, &Poster{BaseURL: base, Rate: 50}, g, 0)
	if err != nil || time.Since(began) > 2*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(began))
	}
	if st.Stories == 0 || st.OK == 0 || st.OK != st.Sent {
		t.Errorf("stats %s", st)
	}
	if _, err := Run(context.Background(), &Poster{BaseURL: base}, NewGenerator(1, nil, Options{}), 1); err == nil {
		t.Error("Run without sources did not fail")
	}
}
