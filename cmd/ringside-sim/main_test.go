package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestParseSource(t *testing.T) {
	for in, want := range map[string]string{
		"pbx1:simotel:hook:s3:cr":                                 "pbx1 simotel hook s3:cr   ",
		"ss:SipSim:secret=abc,token=t1,variant=get":               "ss sipsim   t1 abc get",
		"cloud:cloudcdr":                                          "cloud cloudcdr     ",
		"ipex:voipex:user=u,pass=p,tz=Europe/Prague,variant=json": "ipex voipex u p   json",
	} {
		s, err := parseSource(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := strings.Join([]string{s.Name, s.Vendor, s.Username, s.Password, s.Token, s.SigningSecret, s.Variant}, " ")
		if got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"nocolon", ":simotel", "x:simotel:color=red", "x:simotel:tz=Mars/Base"} {
		if _, err := parseSource(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// The sources of a Ringside config are played with their credentials; every delivery
// reaches the server, which answers 2xx, and the summary says so.
func TestRunFromConfig(t *testing.T) {
	var mu sync.Mutex
	auth := map[string]int{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(r.URL.Path, "/hooks/deny") {
			http.Error(w, `{"success":0,"message":"invalid credentials"}`, 401)
			return
		}
		u, p, _ := r.BasicAuth()
		mu.Lock()
		auth[u+":"+p+"|"+r.Header.Get("X-Ringside-Token")]++
		mu.Unlock()
	})}
	go srv.Serve(ln)
	defer srv.Close()

	cfg := filepath.Join(t.TempDir(), "ringside.toml")
	os.WriteFile(cfg, []byte(`
listen = ":8080"
[[sources]]
name = "pbx1"
vendor = "simotel"
username = "hook"
password = "secret"
timezone = "Asia/Tehran"
  [sources.api]
  url = "http://pbx.local/api/v4"
[[sources]]
name = "cloud"
vendor = "cloudcdr"
token = "tok"
[[users]]
name = "boss"
`), 0o644)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-url", "http://" + ln.Addr().String(), "-config", cfg, "-n", "40",
		"-speed", "5000", "-rate", "inf", "-variant", "mix"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "40 stories") || !strings.Contains(out.String(), " 2xx") {
		t.Errorf("summary %q", out.String())
	}
	if auth["hook:secret|"] == 0 || auth[":|tok"] == 0 || len(auth) != 2 {
		t.Errorf("credentials seen: %v", auth)
	}

	// Refused deliveries make the exit status 1 and are counted by status.
	out.Reset()
	code = run(context.Background(), []string{"-url", "http://" + ln.Addr().String(), "-source", "deny:voipex", "-n", "2", "-rate", "inf"}, &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "2 × 401") || !strings.Contains(out.String(), "invalid credentials") {
		t.Errorf("exit %d, summary %q", code, out.String())
	}
}

func TestPrintIsDeterministic(t *testing.T) {
	args := []string{"-print", "-n", "30", "-seed", "9", "-source", "pbx1:simotel:a:b", "-source", "ss:sipsim:secret=x", "-variant", "mix"}
	var a, b, e bytes.Buffer
	if run(context.Background(), args, &a, &e) != 0 || run(context.Background(), args, &b, &e) != 0 {
		t.Fatal(e.String())
	}
	if a.String() != b.String() || !strings.Contains(a.String(), "### pbx1 agent-login") || !strings.Contains(a.String(), "GET /hooks/") {
		t.Errorf("print output differs or lacks variety:\n%.2000s", a.String())
	}
	if strings.Contains(a.String(), "Authorization") || strings.Contains(a.String(), "X-Webhook-Signature") {
		t.Error("printed requests carry credentials")
	}
}
