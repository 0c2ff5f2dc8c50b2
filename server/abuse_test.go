package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
)

// Abuse by someone holding a source's credentials (or a user's): each bound is tested
// by performing the abuse.

// openCallIDs lists the active calls' ids through the API.
func (e *testEnv) openCallIDs(t *testing.T) []string {
	t.Helper()
	var calls []call.Call
	e.apiGet(t, "/api/v1/calls", &calls)
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.ID
	}
	slices.Sort(ids)
	return ids
}

// TestOpenCallsCapped: a source opens 160 calls that never end, over its
// max_open_calls of 40. The oldest are ended by logged call.expired events, so the
// board holds the newest 40, and a restart (replaying the log) shows the same.
func TestOpenCallsCapped(t *testing.T) {
	cfg := testConfig(t)
	for i := range cfg.Sources {
		if cfg.Sources[i].Name == "pbx1" {
			cfg.Sources[i].MaxOpenCalls = 40
		}
	}
	e := startEnv(t, cfg)
	<-e.srv.Ready()
	for i := 0; i < 160; i++ {
		body := fmt.Sprintf(`{"event_name":"IncomingCall","number":"0912%07d","unique_id":"1700000000.%03d","entry_point":"02191305588"}`, i, i)
		if code, resp := e.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("call %d: %d %s", i, code, resp)
		}
	}
	// The board applies events after they are acknowledged: while it catches up it
	// already holds 40 calls, but not yet the newest 40. Wait for the newest.
	var newest []string
	for i := 120; i < 160; i++ {
		newest = append(newest, fmt.Sprintf("pbx1:1700000000.%03d", i))
	}
	var open []string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if open = e.openCallIDs(t); slices.Equal(open, newest) {
			break
		}
	}
	if !slices.Equal(open, newest) {
		t.Fatalf("%d calls open, want the newest 40 (.120 to .159): %v", len(open), open)
	}
	expired := 0
	for _, ev := range e.events() {
		if ev.Type == call.CallExpired && ev.Source == "pbx1" {
			expired++
		}
	}
	if expired != 120 {
		t.Errorf("%d call.expired events logged, want 120 (one for each call over the cap)", expired)
	}
	e.restart(t)
	if again := e.openCallIDs(t); !slices.Equal(again, open) {
		t.Errorf("after a restart %d calls open, want the same %d: %v", len(again), len(open), again)
	}
}

// TestRejectedBodiesQuota: a source posts 90 undecodable bodies of nearly 1 MiB
// (90 MiB). Only the newest 64 MiB are kept for that source; another source's
// rejected delivery is untouched.
func TestRejectedBodiesQuota(t *testing.T) {
	e := startEnv(t, testConfig(t))
	if code, _ := e.post("/hooks/ipex", `{"EventName":`, basic("hook", "pw-ipex")); code != 400 {
		t.Fatalf("the other source's garbage: %d", code)
	}
	junk := strings.Repeat("x", MaxBody-64)
	for i := 0; i < 90; i++ {
		if code, body := e.post("/hooks/pbx1", fmt.Sprintf("{%03d%s", i, junk), basic("hook", "pw-pbx1")); code != 400 {
			t.Fatalf("garbage %d: %d %s", i, code, body)
		}
	}
	rej, err := e.st.Rejected(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var kept []int
	ipex, bytes := 0, 0
	for _, r := range rej {
		switch r.Source {
		case "ipex":
			ipex++
		case "pbx1":
			var n int
			fmt.Sscanf(string(r.Body[1:4]), "%d", &n)
			kept = append(kept, n)
			bytes += len(r.Body)
		}
	}
	t.Logf("90 MiB of garbage from pbx1: %d bodies (%.1f MiB) kept, newest %v", len(kept), float64(bytes)/(1<<20), kept[len(kept)-3:])
	if bytes > 64<<20 || len(kept) < 50 {
		t.Errorf("pbx1 keeps %d bodies, %d bytes: want the newest at most 64 MiB", len(kept), bytes)
	}
	if kept[len(kept)-1] != 89 || kept[0] != 90-len(kept) {
		t.Errorf("kept bodies %d..%d, want the newest (..89)", kept[0], kept[len(kept)-1])
	}
	if ipex != 1 {
		t.Errorf("the other source's rejected delivery: %d kept, want 1", ipex)
	}
}

// TestRecordingsAndLegsPerCall: one record with 20,000 recording ids, one with 5,000
// attempts. The call keeps the first 100 recordings and 500 legs.
func TestRecordingsAndLegsPerCall(t *testing.T) {
	e := startEnv(t, testConfig(t))
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"rec-%05d"`, i)
	}
	raw, err := os.ReadFile("ingest/testdata/cloudcdr/json_post_full.http")
	if err != nil {
		t.Fatal(err)
	}
	_, cdr, _ := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	cdr = strings.ReplaceAll(cdr, "2024-05-29", time.Now().Format("2006-01-02"))
	cdr = regexp.MustCompile(`(?s)"recordingIds": \[.*?\]`).ReplaceAllString(cdr, `"recordingIds": [`+strings.Join(ids, ",")+`]`)
	if code, body := e.post("/hooks/cloud", cdr, func(r *http.Request) { r.Header.Set("X-Ringside-Token", "tok-cloud") }); code != 200 {
		t.Fatalf("CDR with 20,000 recordings: %d %s", code, body)
	}
	detail := make([]string, 5000)
	for i := range detail {
		detail[i] = fmt.Sprintf(`{"src":"09121234567","dst":"%d","billsec":"0","wait":"1","disposition":"NO ANSWER","comment":"","tries":"1"}`, 1000+i)
	}
	queue := `{"event_name":"CdrQueue","unique_id":"1700000001.1","src":"09121234567","dst":"993","queue":"902",` +
		`"disposition":"NO ANSWER","starttime":"2021-01-16 07:29:18.310319","endtime":"2021-01-16 07:30:28.794906","detail":[` +
		strings.Join(detail, ",") + `]}`
	if code, body := e.post("/hooks/pbx1", queue, basic("hook", "pw-pbx1")); code != 200 {
		t.Fatalf("queue record with 5,000 attempts: %d %s", code, body)
	}
	calls := map[string]call.Call{}
	for deadline := time.Now().Add(15 * time.Second); len(calls) < 2 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, ev := range e.events() {
			var c call.Call
			if ev.Call != "" && e.callFound(t, ev.Call, &c) {
				calls[ev.Source] = c
			}
		}
	}
	if n := len(calls["cloud"].Recordings); n != 100 {
		t.Errorf("the call of 20,000 recordings shows %d, want the first 100", n)
	}
	if n := len(calls["pbx1"].Legs); n != 500 {
		t.Errorf("the call of 5,000 attempts shows %d legs, want the first 500", n)
	}
}

// callFound reads a call through the API; false while the board has not applied it.
func (e *testEnv) callFound(t *testing.T, id string, c *call.Call) bool {
	req, _ := http.NewRequest("GET", e.url+"/api/v1/calls/"+id, nil)
	req.Header.Set("X-APIKEY", "admin-key")
	code, body := do(t, req)
	if code != 200 {
		return false
	}
	var env struct{ Data call.Call }
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatal(err)
	}
	*c = env.Data
	return true
}

// TestConcurrentExportsBounded: six CSV exports at once. Two run (their clients
// never read, so they hold their slots); the others are answered 429 with Retry-After
// at once; when one ends, a new export runs.
func TestConcurrentExportsBounded(t *testing.T) {
	e := startEnv(t, testConfig(t))
	// 2,000 CDRs of 5 kB make an export of 10 MB, more than the socket buffers hold
	cdrs := make([]call.Call, 2000)
	day := time.Now().Add(-time.Hour)
	for i := range cdrs {
		at := day.Add(time.Duration(i) * time.Millisecond)
		cdrs[i] = call.Call{ID: fmt.Sprintf("pbx1:export.%05d", i), Source: "pbx1", Vendor: "simotel", From: "09121234567",
			To: "991", State: call.StateEnded, StartedAt: &at, EndedAt: &at, Disposition: call.Answered,
			HangupReason: strings.Repeat("r", 5000)}
	}
	if err := e.st.PutCDRs(context.Background(), cdrs); err != nil {
		t.Fatal(err)
	}
	cookie := e.formLogin("admin", "adminpw")
	addr := strings.TrimPrefix(e.url, "http://")
	open := func() (net.Conn, *http.Response) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetReadBuffer(4096) // a client that reads nothing
		fmt.Fprintf(c, "GET /cdrs.csv HTTP/1.1\r\nHost: x\r\nCookie: %s=%s\r\n\r\n", cookie.Name, cookie.Value)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		return c, resp
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	codes := []int{}
	for i := 0; i < 6; i++ {
		c, resp := open()
		conns = append(conns, c)
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("export %d: 429 without Retry-After", i)
		}
	}
	if !slices.Equal(codes, []int{200, 200, 429, 429, 429, 429}) {
		t.Errorf("six exports at once answered %v, want two 200 and four 429", codes)
	}
	// the first two hold their slots only while they stream: closing ends them
	conns[0].Close()
	conns[1].Close()
	time.Sleep(200 * time.Millisecond)
	if _, resp := open(); resp.StatusCode != 200 {
		t.Errorf("an export after the others ended: %d, want 200", resp.StatusCode)
	}
}
