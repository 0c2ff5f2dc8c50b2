package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ringside/server/config"
	"ringside/server/simotel"
)

// Configured queue names and directory names reach the active calls, the agents' "Now",
// the CDR table and its queue filter, and the CSV, whose times carry the display zone's
// offset.
func TestQueueNamesEverywhere(t *testing.T) {
	q := startQueueScenario(t, func(c *config.Config) {
		c.Queues = []config.Queue{{ID: "pbx1:902", Name: "Sales", EntryPoints: []string{"2191305588"}}}
	})
	q.post(at(0), "/hooks/pbx1/IncomingCall", `{"event_name":"IncomingCall","number":"09121234567","unique_id":"1773133200.7","entry_point":"2191305588"}`)
	q.post(at(2), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Ringing","participant":"09121234567","direction":"in","queue":"902","unique_id":"1773133200.7"}`)
	q.post(at(6), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"InUse","participant":"09121234567","direction":"in","queue":"902","unique_id":"1773133200.7"}`)
	q.settle()
	live := q.get("/api/v1/calls")
	if !strings.Contains(string(live), `"queue_name":"Sales"`) {
		t.Errorf("/api/v1/calls: %s", live)
	}
	req, _ := http.NewRequest("GET", q.url+"/wallboard", nil)
	req.AddCookie(q.cookie)
	_, page := q.do(req)
	calls, agents := fragmentLines(t, page, "call-rows"), fragmentLines(t, page, "agent-rows")
	if len(calls) != 1 || !strings.Contains(calls[0], "09121234567 Sales Petr Novák") {
		t.Errorf("active calls: %q", calls)
	}
	if !slices.ContainsFunc(agents, func(l string) bool {
		return strings.Contains(l, "Petr Novák On call") && strings.HasSuffix(l, "· Sales")
	}) {
		t.Errorf("agents: %q", agents)
	}
	q.post(at(60), "/hooks/pbx1/Cdr", fmt.Sprintf(`{"event_name":"Cdr","unique_id":"1773133200.7","src":"09121234567","dst":"991","type":"incoming",
		"disposition":"ANSWERED","duration":"60","billsec":"54","wait":"6","record":"","entry_point":"2191305588","starttime":%q,"endtime":%q}`, tehran(0), tehran(60)))
	q.barrier()

	req, _ = http.NewRequest("GET", q.url+"/cdrs", nil)
	req.AddCookie(q.cookie)
	_, page = q.do(req)
	if !regexp.MustCompile(`<option value="pbx1:902"[^>]*>Sales</option>`).MatchString(page) {
		t.Errorf("the CDR queue filter does not offer Sales")
	}
	if rows := fragmentLines(t, page, "cdr-rows"); len(rows) != 1 || !strings.Contains(rows[0], "Sales") {
		t.Errorf("CDR rows: %q", rows)
	}
	req, _ = http.NewRequest("GET", q.url+"/cdrs.csv", nil)
	req.AddCookie(q.cookie)
	_, body := q.do(req)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV: %v %q", err, body)
	}
	col := func(name string) string { return rows[1][slices.Index(rows[0], name)] }
	start := at(0).In(q.srv.zone()).Format("2006-01-02T15:04:05-07:00")
	if col("queue_name") != "Sales" || col("agent_name") != "Petr Novák" || col("started_at") != start {
		t.Errorf("CSV row %q, want Sales, Petr Novák, started_at %s", rows[1], start)
	}
}

// A Simotel extension the directory does not name takes its name from the PBX's user
// list (pbx/users/search), logged once; the directory's names win.
func TestSimotelExtensionNamesFromTheAPI(t *testing.T) {
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey,
		Users: []simotel.User{{Name: "Sara Karimi", Number: "994"}, {Name: "PBX name for Petr", Number: "991"}}})
	fake.Start()
	t.Cleanup(fake.Close)
	q := startQueueScenario(t, func(c *config.Config) {
		for i := range c.Sources {
			if c.Sources[i].Name == "pbx1" {
				c.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
			}
		}
	})
	q.post(at(0), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"994","state":"Idle"}`)
	q.post(at(1), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Idle"}`)
	q.settle()
	before := q.st.LastSeq()
	q.srv.refreshPBXNames(context.Background())
	q.settle()
	named := q.st.LastSeq()
	if named != before+1 {
		t.Errorf("%d events logged, want 1 (Sara's name)", named-before)
	}
	var full []struct{ ID, Name string }
	json.Unmarshal(q.get("/api/v1/agents"), &full)
	got := map[string]string{}
	for _, a := range full {
		got[a.ID] = a.Name
	}
	if got["pbx1:994"] != "Sara Karimi" || got["petr"] != "Petr Novák" {
		t.Errorf("names = %v", got)
	}
	q.srv.refreshPBXNames(context.Background())
	if q.st.LastSeq() != named {
		t.Errorf("a second refresh logged the same name again")
	}
}

// The Simotel API's agent report (reports/agent/search) says 993 works queue 902: on a
// fresh day, before any call, 993's idle phone counts as available in 902.
func TestSimotelMembershipFromTheAgentReport(t *testing.T) {
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey,
		Sessions: []simotel.AgentSession{{Exten: "993", Queue: "902", Type: "inout", Start: "1404-12-19 09:00:00", End: "1404-12-19 17:00:00"}}})
	fake.Start()
	t.Cleanup(fake.Close)
	q := startQueueScenario(t, func(c *config.Config) {
		for i := range c.Sources {
			if c.Sources[i].Name == "pbx1" {
				c.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
			}
		}
	})
	q.post(at(0), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"993","state":"Idle"}`)
	q.settle()
	q.srv.refreshPBXMembers(context.Background())
	l := q.look("after the agent report", at(10))
	if a := agentOfLook(t, l, "pbx1:993"); a.QueueStates["pbx1:902"] != "available" {
		t.Errorf("993 = %+v", a)
	}
	if s := queueOfLook(t, l, "pbx1:902"); s.Agents["available"] != 1 {
		t.Errorf("902 = %+v", s)
	}
	seq := q.st.LastSeq()
	q.srv.refreshPBXMembers(context.Background())
	if q.st.LastSeq() != seq {
		t.Errorf("a second refresh logged the membership again")
	}
	reqs := fake.Requests()
	if len(reqs) == 0 || reqs[0].Service != "reports/agent/search" || reqs[0].Status != 200 {
		t.Fatalf("requests = %+v", reqs)
	}
}
