package server

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestShutdownAnswersTheTruth sends deliveries while the server shuts down: each one
// answered 200 is in the log, and none answered otherwise is (a delivery written
// before the shutdown is never answered 503, where a keyless retry would count twice).
func TestShutdownAnswersTheTruth(t *testing.T) {
	e := startEnv(t, testConfig(t))
	<-e.srv.Ready()
	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			client := &http.Client{Timeout: 20 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("sd-%d-%d", w, i)
				body := fmt.Sprintf(`{"event_name":"Cdr","unique_id":%q,"src":"09120000000","dst":"100","type":"incoming","disposition":"ANSWERED",`+
					`"starttime":%q,"endtime":%q,"duration":3,"billsec":2,"wait":1}`, id,
					time.Now().Add(-3*time.Second).Format("2006-01-02 15:04:05.000000"), time.Now().Format("2006-01-02 15:04:05.000000"))
				req, _ := http.NewRequest("POST", e.url+"/hooks/pbx1", strings.NewReader(body))
				req.SetBasicAuth("hook", "pw-pbx1")
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the server has closed
				}
				resp.Body.Close()
				mu.Lock()
				answers[id] = resp.StatusCode
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(500 * time.Millisecond)
	e.srv.Shutdown(t.Context())
	close(stop)
	wg.Wait()

	logged := map[string]bool{}
	for after := uint64(0); ; {
		evs, err := e.st.Events(after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			logged[strings.TrimPrefix(ev.Call, "pbx1:")] = true
		}
		after = evs[len(evs)-1].Seq
	}
	ok, other := 0, 0
	for id, code := range answers {
		switch {
		case code == 200 && !logged[id]:
			t.Errorf("%s answered 200 but not in the log", id)
		case code != 200 && logged[id]:
			t.Errorf("%s answered %d but written to the log", id, code)
		}
		if code == 200 {
			ok++
		} else {
			other++
		}
	}
	t.Logf("%d deliveries answered 200, %d otherwise, across the shutdown", ok, other)
	if ok == 0 {
		t.Fatal("no delivery acknowledged before the shutdown")
	}
}
