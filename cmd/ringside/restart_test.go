package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"ringside/server/sim"
	"ringside/store"
)

// restartConfig has a source per vendor (each with its own kind of credential), the
// directory, and an admin with an API key. snapshotEvery 0 keeps the default.
func restartConfig(snapshotEvery int) string {
	c := `
[[sources]]
name = "pbx1"
vendor = "simotel"
username = "hook"
password = "pw-pbx1"
timezone = "Asia/Tehran"
rate_limit = -1
[[sources]]
name = "ipex"
vendor = "voipex"
username = "hook"
password = "pw-ipex"
timezone = "Europe/Prague"
rate_limit = -1
[[sources]]
name = "cloud"
vendor = "cloudcdr"
token = "tok-cloud"
rate_limit = -1
[[sources]]
name = "sipsim"
vendor = "sipsim"
signing_secret = "sipsim-secret"
timezone = "Europe/Minsk"
rate_limit = -1
[[users]]
name = "admin"
password = "adminpw"
role = "admin"
api_key = "admin-key"
[[agents]]
id = "first"
name = "First Agent"
match = ["pbx1:991", "ipex:441"]
`
	if snapshotEvery > 0 {
		c = fmt.Sprintf("snapshot_every = %d\n", snapshotEvery) + c
	}
	return c
}

// simSources are restartConfig's sources as the simulator plays them (every transport
// variant, by story).
func simSources() []sim.Source {
	loc := func(n string) *time.Location { l, _ := time.LoadLocation(n); return l }
	return []sim.Source{
		{Name: "pbx1", Vendor: "simotel", Username: "hook", Password: "pw-pbx1", Location: loc("Asia/Tehran"), Variant: sim.VariantMix},
		{Name: "ipex", Vendor: "voipex", Username: "hook", Password: "pw-ipex", Location: loc("Europe/Prague"), Variant: sim.VariantMix},
		{Name: "cloud", Vendor: "cloudcdr", Token: "tok-cloud", Variant: sim.VariantMix},
		{Name: "sipsim", Vendor: "sipsim", SigningSecret: "sipsim-secret", Location: loc("Europe/Minsk"), Variant: sim.VariantMix},
	}
}

// apiClient reads the JSON API of a running binary with the admin's API key.
type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (a apiClient) do(method, path string, body string) (int, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.base+path, strings.NewReader(body))
	req.Header.Set("X-APIKEY", "admin-key")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (a apiClient) seq() uint64 {
	a.t.Helper()
	_, b := a.do("GET", "/healthz", "")
	var h struct{ Seq uint64 }
	if err := json.Unmarshal(b, &h); err != nil {
		a.t.Fatalf("healthz: %s", b)
	}
	return h.Seq
}

// callIDs lists every call id in the event log, through the API.
func (a apiClient) callIDs() []string {
	a.t.Helper()
	seen := map[string]bool{}
	for after := uint64(0); ; {
		code, b := a.do("GET", fmt.Sprintf("/api/v1/events?after=%d&limit=1000", after), "")
		var env struct {
			Data []struct {
				Seq  uint64
				Call string
			}
		}
		if err := json.Unmarshal(b, &env); err != nil || code != 200 {
			a.t.Fatalf("events: %d %s", code, b)
		}
		if len(env.Data) == 0 {
			break
		}
		for _, e := range env.Data {
			if e.Call != "" {
				seen[e.Call] = true
			}
		}
		after = env.Data[len(env.Data)-1].Seq
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// board is everything the API shows, by request. Queues' longest_wait_s is the one
// value that moves with the wall clock (while a call waits), so it is zeroed; the
// traffic ends every call, so it is 0 anyway (the test logs any call left active).
func (a apiClient) board(ids []string) map[string]string {
	a.t.Helper()
	out := map[string]string{}
	get := func(key, method, path, body string) {
		code, b := a.do(method, path, body)
		out[key] = fmt.Sprintf("%d %s", code, bytes.TrimSpace(b))
	}
	get("calls", "GET", "/api/v1/calls", "")
	get("agents", "GET", "/api/v1/agents", "")
	get("cdrs", "POST", "/api/v1/cdrs/search", `{"pagination":{"count":1000}}`)
	_, b := a.do("GET", "/api/v1/queues", "")
	var env struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		a.t.Fatalf("queues: %s", b)
	}
	for _, q := range env.Data {
		q["longest_wait_s"] = 0
	}
	qs, _ := json.Marshal(env.Data)
	out["queues"] = string(qs)
	for _, id := range ids {
		get("call "+id, "GET", "/api/v1/calls/"+id, "")
	}
	return out
}

// settled waits until the log stops growing and two looks at the board agree.
func (a apiClient) settled(ids []string) map[string]string {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	last, stable := a.seq(), time.Now()
	for time.Since(stable) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			a.t.Fatal("the log kept growing")
		}
		time.Sleep(20 * time.Millisecond)
		if s := a.seq(); s != last {
			last, stable = s, time.Now()
		}
	}
	prev := a.board(ids)
	for {
		time.Sleep(100 * time.Millisecond)
		cur := a.board(ids)
		if equalBoards(prev, cur) {
			return cur
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("the board did not settle: %s", diffBoards(prev, cur))
		}
		prev = cur
	}
}

func equalBoards(a, b map[string]string) bool { return diffBoards(a, b) == "" }

func diffBoards(a, b map[string]string) string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		if a[k] != b[k] {
			out = append(out, fmt.Sprintf("%s:\n  before %s\n  after  %s", k, clip(a[k]), clip(b[k])))
		}
	}
	return strings.Join(out, "\n")
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// TestRestartGivesTheSameBoard plays simulator traffic of every vendor into the real
// binary, kills it with SIGKILL, restarts it on the same data and requires the API to
// show exactly the same calls, agents, queues, CDRs and call pages: with a snapshot
// taken before the kill (snapshot_every = 50: restore it, replay the rest) and without
// one (the default: replay the whole log).
func TestRestartGivesTheSameBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	for _, tc := range []struct {
		name          string
		snapshotEvery int
	}{{"with snapshot", 50}, {"without snapshot", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // mostly waiting on the simulator's clock
			dir := t.TempDir()
			conf := filepath.Join(dir, "ringside.toml")
			if err := os.WriteFile(conf, []byte(restartConfig(tc.snapshotEvery)), 0o644); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, "data")
			addr := freeAddr(t)
			start := func() *exec.Cmd {
				cmd := exec.Command(bin, "-config", conf, "-data", data, "-listen", addr)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				waitUp(t, "http://"+addr+"/healthz")
				return cmd
			}
			cmd := start()
			api := apiClient{t: t, base: "http://" + addr, c: &http.Client{Timeout: 10 * time.Second}}

			// A few hundred deliveries: a call center's natural load with every duration
			// compressed 300 times, so calls overlap and all of them end within seconds.
			g := sim.NewGenerator(42, simSources(), sim.Options{AgentsPerSource: 5, Speed: 300})
			p := &sim.Poster{BaseURL: api.base}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			stats, err := sim.Run(ctx, p, g, 100)
			if err != nil || stats.OK != stats.Sent || stats.Errors > 0 || stats.Sent < 200 {
				t.Fatalf("traffic: %v (%v)", stats, err)
			}
			ids := api.callIDs()
			before := api.settled(ids)
			var active struct{ Data []json.RawMessage }
			json.Unmarshal([]byte(strings.TrimPrefix(before["calls"], "200 ")), &active)
			t.Logf("%s; %d calls, %d still active, log at seq %d", stats, len(ids), len(active.Data), api.seq())

			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			st, err := store.Open(filepath.Join(data, "ringside.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			snap, _, err := st.Snapshot()
			last := st.LastSeq()
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.snapshotEvery > 0 && (snap == 0 || snap > last):
				t.Fatalf("snapshot at seq %d of %d: want one taken before the kill", snap, last)
			case tc.snapshotEvery == 0 && snap != 0:
				t.Fatalf("snapshot at seq %d: the default should take none in a run this short", snap)
			}
			t.Logf("killed with the log at seq %d, the latest snapshot at seq %d", last, snap)

			start()
			// The server answers while it replays: look until the board has caught up.
			var after map[string]string
			for deadline := time.Now().Add(10 * time.Second); ; {
				if after = api.settled(ids); equalBoards(before, after) || time.Now().After(deadline) {
					break
				}
			}
			if d := diffBoards(before, after); d != "" {
				t.Errorf("the board after the restart differs:\n%s", d)
			}
			if !slices.Equal(api.callIDs(), ids) {
				t.Errorf("the log's calls changed across the restart")
			}
		})
	}
}
