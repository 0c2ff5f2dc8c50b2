package server

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/ingest"
	"ringside/server/ingest/ingesttest"
	"ringside/store"
)

// testEnv is a real server on a loopback port with a real bbolt file.
type testEnv struct {
	t     *testing.T
	cfg   *config.Config
	st    *store.Store
	srv   *Server
	url   string
	admin [2]string
}

const signingSecret = "sipsim-secret"

// testConfig has the fixture sources of ingest.FixtureSources, with credentials.
func testConfig(t *testing.T) *config.Config {
	var srcs []config.Source
	for _, fs := range ingesttest.Sources() {
		s := config.Source{Name: fs.Name, Vendor: fs.Vendor, Timezone: fs.Location.String(), KeyMap: fs.KeyMap, RateLimit: -1}
		switch fs.Vendor {
		case "simotel", "voipex":
			s.Username, s.Password = "hook", "pw-"+fs.Name
		case "cloudcdr":
			s.Token = "tok-" + fs.Name
		case "sipsim":
			s.Token = "tok-" + fs.Name
			s.SigningSecret = signingSecret
		}
		srcs = append(srcs, s)
	}
	cfg := &config.Config{
		Listen:  "127.0.0.1:0",
		Data:    t.TempDir(),
		Sources: srcs,
		Users: []config.User{
			{Name: "admin", Password: "adminpw", Role: "admin", APIKey: "admin-key"},
			{Name: "agent1", Password: "agentpw", Role: "agent", Agent: "petr"},
		},
	}
	return cfg
}

func startEnv(t *testing.T, cfg *config.Config) *testEnv { return startEnvWith(t, cfg, nil) }

// startEnvWith runs setup on the server before it listens (a test clock).
func startEnvWith(t *testing.T, cfg *config.Config, setup func(*Server)) *testEnv {
	t.Helper()
	return startEnvLog(t, cfg, setup, io.Discard)
}

// startEnvLog is startEnvWith with the server's log written to w.
func startEnvLog(t *testing.T, cfg *config.Config, setup func(*Server), w io.Writer) *testEnv {
	t.Helper()
	if err := config.Check(cfg); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(cfg.Data, "ringside.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, st, slog.New(slog.NewTextHandler(w, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	e := &testEnv{t: t, cfg: cfg, st: st, srv: srv, url: "http://" + ln.Addr().String(), admin: [2]string{"admin", "adminpw"}}
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		st.Close()
	})
	return e
}

// send posts a fixture with the source's real credentials (re-signing SipSim bodies).
func (e *testEnv) send(raw ingesttest.Raw) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(raw.Method, e.url+raw.Target, bytes.NewReader(raw.Body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range raw.Header {
		req.Header[k] = v
	}
	src, _ := e.cfg.Source(raw.Source())
	e.authorize(req, src, raw.Body)
	return do(e.t, req)
}

// decode decodes a fixture as the server does once e.send has authorized it: a source
// with a signing secret reads the signed body alone (a legacy GET's query counts for nothing).
func (e *testEnv) decode(src ingest.Source, req ingest.Request) (ingest.Result, error) {
	if cs, _ := e.cfg.Source(src.Name); cs != nil && cs.SigningSecret != "" {
		req.Signed = true
	}
	return ingest.Decode(src, req)
}

func (e *testEnv) authorize(req *http.Request, src *config.Source, body []byte) {
	req.Header.Del("Authorization")
	if src == nil {
		return
	}
	if src.Username != "" {
		req.SetBasicAuth(src.Username, src.Password)
	} else if src.Token != "" {
		req.Header.Set("X-Ringside-Token", src.Token)
	}
	if src.SigningSecret != "" {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("X-Webhook-Timestamp", ts)
		req.Header.Set("X-Webhook-Signature", hex.EncodeToString(Sign(src.SigningSecret, ts, body)))
	}
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// events reads the whole log through the API.
func (e *testEnv) events() []logEvent {
	e.t.Helper()
	var all []logEvent
	after := uint64(0)
	for {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/events?after=%d&limit=1000", e.url, after), nil)
		req.SetBasicAuth(e.admin[0], e.admin[1])
		code, body := do(e.t, req)
		if code != 200 {
			e.t.Fatalf("events: %d %s", code, body)
		}
		var env struct {
			Success int        `json:"success"`
			Data    []logEvent `json:"data"`
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil || env.Success != 1 {
			e.t.Fatalf("events envelope: %v %s", err, body)
		}
		if len(env.Data) == 0 {
			return all
		}
		all = append(all, env.Data...)
		after = env.Data[len(env.Data)-1].Seq
	}
}

func fixtures(t *testing.T) []string {
	files, _ := filepath.Glob("ingest/testdata/*/*.http")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	return files
}

// TestEveryFixtureThroughServer posts every vendor fixture through real HTTP and finds
// its decoded events in the log, in order; undecodable ones get 400 and are kept.
func TestEveryFixtureThroughServer(t *testing.T) {
	e := startEnv(t, testConfig(t))
	srcs := ingesttest.Sources()
	type want struct {
		path   string
		events []call.Event
	}
	var wants []want
	bad := 0
	seenKeys := map[string]bool{}
	for _, path := range fixtures(t) {
		raw, err := ingesttest.ReadRaw(path)
		if err != nil {
			t.Fatal(err)
		}
		req := raw.Request()
		req.ReceivedAt = time.Now()
		res, decErr := e.decode(srcs[raw.Source()], req)
		code, body := e.send(raw)
		if decErr != nil {
			bad++
			if code != 400 || !strings.Contains(body, `"success":0`) {
				t.Errorf("%s: undecodable fixture answered %d %s", path, code, body)
			}
			continue
		}
		if code != 200 || body != `{"success":1,"message":""}` {
			t.Errorf("%s: answered %d %s", path, code, body)
			continue
		}
		if res.Key != "" {
			k := raw.Source() + "|" + res.Key
			if seenKeys[k] {
				continue // same natural id as an earlier fixture: acknowledged, not logged again
			}
			seenKeys[k] = true
		}
		wants = append(wants, want{path, res.Events})
	}
	got := e.events()
	i := 0
	for _, w := range wants {
		for _, ev := range w.events {
			if i >= len(got) {
				t.Fatalf("%s: log ended before event %s", w.path, ev.Name)
			}
			g := got[i]
			if g.Name != ev.Name || g.Type != ev.Type || g.Call != ev.Call || g.Agent != ev.Agent || g.Source != ev.Source {
				t.Errorf("%s: log has %+v, want %s %s call=%s agent=%s", w.path, g, ev.Name, ev.Type, ev.Call, ev.Agent)
			}
			i++
		}
	}
	if i != len(got) {
		t.Errorf("log has %d events, fixtures produced %d", len(got), i)
	}
	rej, err := e.st.Rejected(0, 1000)
	if err != nil || len(rej) != bad {
		t.Errorf("rejected kept: %d (err %v), want %d", len(rej), err, bad)
	}
	t.Logf("%d fixtures, %d events logged, %d rejected", len(wants)+bad, len(got), bad)
}
