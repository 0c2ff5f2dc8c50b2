package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"ringside/server/config"
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
	if !strings.Contains(page, `<option value="pbx1:902">Sales</option>`) {
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
