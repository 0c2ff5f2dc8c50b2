package simotel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestRedirectKeepsCredentialsHome: the PBX answers with a redirect to another host;
// the request that follows carries neither X-APIKEY nor Basic. A redirect on the same
// host keeps them (the PBX's own API asks for them).
func TestRedirectKeepsCredentialsHome(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{}
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = r.Header.Clone()
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"success":1,"message":"","data":null}`))
		}
	}
	elsewhere := httptest.NewServer(record("elsewhere"))
	defer elsewhere.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v4/setting/ping/act", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/api/v4/setting/ping/act", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/moved/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/home/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/home/", record("home"))
	pbx := httptest.NewServer(mux)
	defer pbx.Close()

	c := New(Config{URL: pbx.URL + "/api/v4", Username: "api", Password: "apipass", APIKey: "the-api-key"}, nil)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("ping through a redirect: %v", err)
	}
	if h := seen["elsewhere"]; h == nil || h.Get("X-APIKEY") != "" || h.Get("Authorization") != "" {
		t.Errorf("the other host received X-APIKEY %q, Authorization %q", h.Get("X-APIKEY"), h.Get("Authorization"))
	}
	same := New(Config{URL: pbx.URL + "/moved", APIKey: "the-api-key"}, nil)
	same.Ping(context.Background())
	if h := seen["home"]; h == nil || h.Get("X-APIKEY") != "the-api-key" {
		t.Errorf("a redirect on the PBX itself lost the key: %v", h)
	}
}
