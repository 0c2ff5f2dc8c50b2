package server

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// damagePage overwrites the page header flags of bucket's root page in the closed
// file at path (as a bad sector or a stray write would), so that bbolt panics when a
// read descends into it.
func damagePage(t *testing.T, path, bucket string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var root uint64
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(bucket)); b != nil {
			root = uint64(b.Root())
		}
		return nil
	})
	size := int64(db.Info().PageSize)
	db.Close()
	if root == 0 {
		t.Fatalf("bucket %s is inline or missing: nothing to damage", bucket)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{0xde, 0xad}, int64(root)*size+8); err != nil { // the flags
		t.Fatal(err)
	}
}

// TestHandlerPanicAnswers500: a read that makes bbolt panic (a damaged page) answers
// 500, the styled page to a browser and the JSON envelope to the API, and the process
// goes on taking deliveries.
func TestHandlerPanicAnswers500(t *testing.T) {
	cfg := testConfig(t)
	first := startEnv(t, cfg)
	<-first.srv.Ready()
	for i := 0; i < 40; i++ {
		body := fmt.Sprintf(`{"event_name":"Cdr","unique_id":"panic-%d","src":"0912000%04d","dst":"100","type":"incoming","disposition":"ANSWERED",`+
			`"starttime":"%s","endtime":"%s","duration":60,"billsec":50,"wait":10}`, i, i,
			time.Now().Add(-2*time.Minute).Format("2006-01-02 15:04:05.000000"), time.Now().Add(-time.Minute).Format("2006-01-02 15:04:05.000000"))
		if code, resp := first.post("/hooks/pbx1", body, basic("hook", "pw-pbx1")); code != 200 {
			t.Fatalf("%d %s", code, resp)
		}
	}
	first.srv.Shutdown(t.Context()) // stores the CDRs
	first.st.Close()
	damagePage(t, filepath.Join(cfg.Data, "ringside.db"), "cdr_by_time")

	var logged lockedLog
	e := startEnvLog(t, cfg, nil, &logged)
	req, _ := http.NewRequest("POST", e.url+"/api/v1/cdrs/search", strings.NewReader(`{}`))
	req.Header.Set("X-APIKEY", "admin-key")
	if code, body := do(t, req); code != 500 || !strings.Contains(body, `"success":0`) {
		t.Errorf("API search over a damaged page: %d %s", code, body)
	}
	req, _ = http.NewRequest("GET", e.url+"/cdrs", nil)
	req.Header.Set("Accept", "text/html")
	req.AddCookie(e.formLogin("admin", "adminpw"))
	if code, body := do(t, req); code != 500 || !strings.Contains(body, "error-card") {
		t.Errorf("records page over a damaged page: %d %.400s", code, body)
	}
	if !strings.Contains(logged.String(), "handler panicked") {
		t.Errorf("the panic is not logged:\n%.2000s", logged.String())
	}
	if code, resp := e.post("/hooks/pbx1", `{"event_name":"NewState","exten":"990","state":"Idle"}`, basic("hook", "pw-pbx1")); code != 200 {
		t.Errorf("delivery after the panics: %d %s", code, resp)
	}
}
