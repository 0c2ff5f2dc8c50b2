package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/sim"
)

// Callers who gave up because everyone was busy, in the vendors' documented payloads:
// Simotel (NewState InUse for both agents, IncomingCall, then a Cdr with disposition
// BUSY) and a cloud PBX record with cause USER_BUSY whose ring group rang Petr. Both are
// listed; Petr's page lists the one offered to him, Jana's none; a VOIPEX call from
// Petr that reaches the Simotel caller takes them off the list.
func TestCallbackScenarioAllBusy(t *testing.T) {
	cfg := scenarioConfig(t)
	cfg.Agents = append(cfg.Agents, config.Agent{ID: "jana", Name: "Jana Dvořáková", Match: []string{"pbx1:992", "cloud:992"}})
	cfg.Users = append(cfg.Users,
		config.User{Name: "petr", PasswordHash: cheapHash(), Role: "agent", Agent: "petr"},
		config.User{Name: "jana", PasswordHash: cheapHash(), Role: "agent", Agent: "jana"})
	e := startClocked(t, cfg)
	pbx, cloud, ipex := simSource(t, cfg, "pbx1", ""), simSource(t, cfg, "cloud", ""), simSource(t, cfg, "ipex", "")
	post := func(src sim.Source, atS float64, target, body string) {
		e.deliver(timedDelivery{src: src, at: storyT0.Add(time.Duration(atS * float64(time.Second))),
			d: sim.Delivery{Method: "POST", Target: target, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}})
	}
	// Simotel, 12:30 in Tehran: both agents are on calls of queue 902 when the caller rings.
	post(pbx, 0, "/hooks/pbx1", `{"event_name":"NewState","exten":"991","state":"InUse","participant":"09350001111","direction":"in","queue":"902","unique_id":"1773133100.7"}`)
	post(pbx, 1, "/hooks/pbx1", `{"event_name":"NewState","exten":"992","state":"InUse","participant":"09350002222","direction":"in","queue":"902","unique_id":"1773133101.8"}`)
	post(pbx, 10, "/hooks/pbx1", `{"event_name":"IncomingCall","number":"09121234567","entry_point":"2191305588","unique_id":"1773133210.11"}`)
	post(pbx, 12, "/hooks/pbx1/Cdr", `{"event_name":"Cdr","starttime":"2026-03-10 12:30:10.000000","endtime":"2026-03-10 12:30:12.000000",`+
		`"src":"09121234567","dst":"2191305588","type":"incoming","disposition":"BUSY","duration":2,"billsec":0,"wait":2,`+
		`"entry_point":"2191305588","unique_id":"1773133210.11"}`)
	// The cloud PBX: the Support ring group rang Petr, who was busy.
	post(cloud, 20, "/hooks/cloud", `{"triggerId":"00000000-0000-0000-0000-000000000001","id":"00000000-0000-0000-0000-0000000000c1",`+
		`"tenantId":"00000000-0000-0000-0000-000000000002","cdr":{"id":"00000000-0000-0000-0000-0000000000c1","dType":"CloudSessionCdr","sVer":1,`+
		`"pbxId":"00000000-0000-0000-0000-000000000003","pbxName":"Support PBX","tz":"Europe/London",`+
		`"start":"2026-03-10T09:00:15+00:00","end":"2026-03-10T09:00:20+00:00","dur":5,"ring":5,"talk":0,"lost":1,"ans":0,`+
		`"cause":"USER_BUSY","dir":2,"type":2,"cliNum":"+447700900123","cliCtry":"GB","ddiNum":"+441614960000",`+
		`"fRngUsrNum":"991","fRngUsrName":"Petr Novák","fRngAgtNum":"991","fRngAgtName":"Petr Novák",`+
		`"lRngUsrNum":"991","lRngUsrName":"Petr Novák","lRngAgtNum":"991","lRngAgtName":"Petr Novák",`+
		`"fRngGroupName":"Support","lRngGroupName":"Support","hasRec":0}}`)
	busy := e.callbackLook([]string{"pbx1:1773133210.11", "cloud:00000000-0000-0000-0000-0000000000c1"})

	// Jana may not mark done a caller who is not one of hers (her CSRF token is right).
	jana := e.formLogin("jana", personPass)
	tok := csrfToken.FindStringSubmatch(e.page(t, "/agent", jana))
	if tok == nil {
		t.Fatal("no CSRF token on Jana's page")
	}
	req, _ := http.NewRequest("POST", e.url+"/callbacks/done", strings.NewReader("number=%2B447700900123&call=cloud%3A00000000-0000-0000-0000-0000000000c1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", tok[1])
	req.AddCookie(jana)
	if code, body := e.do(req); code != http.StatusForbidden || !strings.Contains(body, "not one of your queues") {
		t.Errorf("Jana marking Petr's caller done: %d %s", code, body)
	}

	// VOIPEX: Petr calls the Simotel caller back and is answered.
	for i, ev := range []string{
		`{"EventName":"NewCall","From":"444","To":"09121234567","Line":"444","Login":"petr.novak","UniqueId":"1412256225.3001","Direction":"outgoing"}`,
		`{"EventName":"Answered","From":"444","To":"09121234567","Line":"444","Login":"petr.novak","UniqueId":"1412256225.3001","Direction":"outgoing"}`,
		`{"EventName":"Hangup","From":"444","To":"09121234567","Line":"444","Login":"petr.novak","UniqueId":"1412256225.3001","Direction":"outgoing","Reason":"Normal Clearing"}`,
	} {
		post(ipex, 120+float64(i)*20, "/hooks/ipex", ev)
	}
	reached := e.callbackLook(nil)

	got := indentJSON(map[string]any{"all_busy": busy, "after_call_back": reached})
	path := filepath.Join("testdata", "callbacks", "all-busy.json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestCallbackScenarioAllBusy -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-update rewrites it): %s", path, firstLineDiff(want, got))
	}

	// What the golden shows, said plainly.
	if len(busy.Callbacks) != 2 || len(reached.Callbacks) != 1 || reached.Callbacks[0].Number != "+447700900123" {
		t.Errorf("listed: %d while busy, then %+v", len(busy.Callbacks), reached.Callbacks)
	}
	for _, cb := range busy.Callbacks {
		if cb.Last.Disposition != call.Busy {
			t.Errorf("%s listed as %s, want busy", cb.Number, cb.Last.Disposition)
		}
	}
	if len(busy.AgentPages["petr"]) != 1 || busy.AgentPages["petr"][0] != "+447700900123" || len(busy.AgentPages["jana"]) != 0 {
		t.Errorf("agent pages: %v", busy.AgentPages)
	}
}

// callbackView is what the callers to call back look like at one moment.
type callbackView struct {
	Calls      map[string]*callView `json:"calls,omitempty"`
	Callbacks  []call.Callback      `json:"callbacks"`   // GET /api/v1/callbacks as the admin
	AgentPages map[string][]string  `json:"agent_pages"` // the numbers each agent's /agent lists
}

var csrfToken = regexp.MustCompile(`X-CSRF-Token&#34;:&#34;([^&]+)&#34;`)

var callbackNumber = regexp.MustCompile(`id="callback-rows"|data-number="([^"]*)"`)

func (e *scenarioEnv) callbackLook(ids []string) callbackView {
	e.t.Helper()
	e.settle()
	v := callbackView{Calls: map[string]*callView{}, AgentPages: map[string][]string{}}
	for _, id := range ids {
		v.Calls[id] = e.callView(id)
	}
	if err := json.Unmarshal(e.get("/api/v1/callbacks"), &v.Callbacks); err != nil {
		e.t.Fatal(err)
	}
	for _, who := range []string{"petr", "jana"} {
		req, _ := http.NewRequest("GET", e.url+"/agent", nil)
		req.AddCookie(e.formLogin(who, personPass))
		resp, err := e.client.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		nums, inList := []string{}, false
		for _, m := range callbackNumber.FindAllSubmatch(page, -1) {
			if string(m[0]) == `id="callback-rows"` {
				inList = true
			} else if inList {
				nums = append(nums, string(m[1]))
			}
		}
		if !inList {
			e.t.Fatalf("%s's page has no list of callers to call back", who)
		}
		v.AgentPages[who] = nums
	}
	return v
}
