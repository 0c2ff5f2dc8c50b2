package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestTrustedProxies: allow_ips sees the client behind a trusted proxy, on every
// request of a kept-alive connection; a client cannot pass by writing the header
// itself, and the header counts for nothing from a peer that is not a trusted proxy.
func TestTrustedProxies(t *testing.T) {
	body := `{"event":"incoming_call_start","pbx_id":"p1","caller":"375291112233","receiver":"100"}`
	hook := func(e *testEnv, xff string) int {
		req, _ := http.NewRequest("POST", e.url+"/hooks/fenced", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		code, _ := do(t, req) // the default client keeps the connection alive between these
		return code
	}
	setup := func(trusted []string) *testEnv {
		cfg := testConfig(t)
		cfg.TrustedProxies = trusted
		src := cfg.Sources[0]
		src.Name, src.Vendor, src.Username, src.Password, src.Token, src.SigningSecret = "fenced", "sipsim", "", "", "", ""
		src.AllowIPs = []string{"203.0.113.7", "2001:db8::7"}
		cfg.Sources = append(cfg.Sources, src)
		return startEnv(t, cfg)
	}

	behind := setup([]string{"127.0.0.1", "10.0.0.0/8"})
	for _, tc := range []struct {
		xff  string
		want int
	}{
		{"203.0.113.7", 200},                         // the proxy saw the allowed client
		{"198.51.100.1", 403},                        // another client
		{"203.0.113.7, 198.51.100.1", 403},           // a client wrote the allowed address itself; the proxy appended the real one
		{"198.51.100.1, 203.0.113.7, 10.1.2.3", 200}, // two trusted hops: the first untrusted from the right
		{"2001:db8::7", 200},                         // IPv6
		{"[2001:db8::7]:4711", 200},                  // with a port
		{"", 403},                                    // no header: the proxy itself is the client
		{"garbage", 403},                             // not an address: the proxy stands
		{"203.0.113.7", 200},                         // and again on the same connection
		{"198.51.100.1", 403},
	} {
		if got := hook(behind, tc.xff); got != tc.want {
			t.Errorf("behind a trusted proxy, X-Forwarded-For %q: %d, want %d", tc.xff, got, tc.want)
		}
	}

	direct := setup(nil)
	if got := hook(direct, "203.0.113.7"); got != 403 {
		t.Errorf("no trusted proxies: a client's own X-Forwarded-For let it in (%d)", got)
	}
}
