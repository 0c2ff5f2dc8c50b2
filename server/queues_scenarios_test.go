package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/server/config"
	"ringside/server/simotel"
)

func at(s float64) time.Time { return storyT0.Add(time.Duration(s * float64(time.Second))) }

// tehran prints a time as Simotel does: local (the source's zone), without a zone.
func tehran(s float64) string {
	loc, _ := time.LoadLocation("Asia/Tehran")
	return at(s).In(loc).Format("2006-01-02 15:04:05.000000")
}

// Simotel, every agent of 902 busy: Petr (991) is on a call of 902 when a second caller
// dials the entry point 2191305588. No phone rings for them (IncomingCall names no
// queue); they wait, then hang up; Cdr and CdrQueue (NO ANSWER, ABANDON) follow.
func TestQueueScenarioSimotelAllBusyAbandon(t *testing.T) {
	q := startQueueScenario(t, func(c *config.Config) {
		c.Queues = []config.Queue{{ID: "pbx1:902", Name: "Sales", EntryPoints: []string{"2191305588"}}}
	})
	q.post(at(0), "/hooks/pbx1/IncomingCall", `{"event_name":"IncomingCall","number":"09121234567","unique_id":"1773133200.1","entry_point":"02191305588"}`)
	q.post(at(2), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Ringing","participant":"09121234567","direction":"in","queue":"902","unique_id":"1773133200.1"}`)
	q.post(at(5), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"InUse","participant":"09121234567","direction":"in","queue":"902","unique_id":"1773133200.1"}`)
	q.post(at(30), "/hooks/pbx1/IncomingCall", `{"event_name":"IncomingCall","number":"09351234567","unique_id":"1773133230.2","entry_point":"02191305588"}`)
	busy := q.look("all busy: the second caller waits in Sales", at(70))
	q.post(at(90), "/hooks/pbx1/Cdr", fmt.Sprintf(`{"event_name":"Cdr","unique_id":"1773133230.2","src":"09351234567","dst":"902","type":"incoming",
		"disposition":"NO ANSWER","duration":"60","billsec":"0","wait":"60","record":"","entry_point":"02191305588","starttime":%q,"endtime":%q}`, tehran(30), tehran(90)))
	q.post(at(90), "/hooks/pbx1/CdrQueue", fmt.Sprintf(`{"event_name":"CdrQueue","unique_id":"1773133230.2","src":"09351234567","dst":"","queue":"902",
		"billsec":"0","wait":"59","duration":"59","agent_wait":"0","disposition":"NO ANSWER","hangup":"caller","queue_status":"ABANDON","record":"",
		"answeredtime":"","ringtime":"","starttime":%q,"endtime":%q,"detail":[]}`, tehran(31), tehran(90)))
	gone := q.look("the caller gave up", at(95))

	sales := queueOfLook(t, busy, "pbx1:902")
	if sales.Waiting != 1 || sales.LongestWaitS != 40 || sales.Agents["on_call"] != 1 || sales.Name != "Sales" {
		t.Errorf("while waiting: %+v", sales)
	}
	if !wallboardHas(busy, "#queue-tiles: Sales pbx1 1 waiting Longest wait 00:40") {
		t.Errorf("the Sales tile does not show the waiting caller:\n%s", strings.Join(busy.Wallboard, "\n"))
	}
	if !wallboardHas(busy, "#summary: Waiting 1") {
		t.Errorf("the summary does not count the waiting caller:\n%s", strings.Join(busy.Wallboard, "\n"))
	}
	sales = queueOfLook(t, gone, "pbx1:902")
	if sales.Waiting != 0 || sales.Today.Abandoned != 1 || sales.Today.Offered != 2 {
		t.Errorf("after the abandon: %+v", sales)
	}
	q.check("simotel-all-busy-abandon")
}

// The same arrival at an entry point no [[queues]] names: the caller is shown in the
// source's "not yet in a queue" tile until the PBX's records say 902.
func TestQueueScenarioSimotelUnqueuedWait(t *testing.T) {
	q := startQueueScenario(t, nil)
	q.post(at(0), "/hooks/pbx1/IncomingCall", `{"event_name":"IncomingCall","number":"09351234567","unique_id":"1773133200.3","entry_point":"to_simo_51_20"}`)
	waiting := q.look("waiting, no queue known", at(25))
	u := queueOfLook(t, waiting, "pbx1:")
	if !u.Unqueued || u.Waiting != 1 || u.LongestWaitS != 25 {
		t.Errorf("not yet in a queue = %+v", u)
	}
	if !wallboardHas(waiting, "#queue-tiles: Not yet in a queue pbx1 1 waiting Longest wait 00:25") {
		t.Errorf("no unqueued tile:\n%s", strings.Join(waiting.Wallboard, "\n"))
	}
	q.check("simotel-unqueued-wait")
}

// A fresh day: nobody has taken a call; the directory puts Petr (991) and Jana (992) in
// 902. Petr's phone reports Idle (NewState, no queue); Jana's has said nothing.
func TestQueueScenarioSimotelFreshDayMembership(t *testing.T) {
	q := startQueueScenario(t, func(c *config.Config) {
		c.Agents = []config.Agent{
			{ID: "petr", Name: "Petr Novák", Match: []string{"pbx1:991"}, Queues: []string{"pbx1:902"}},
			{ID: "jana", Name: "Jana Dvořáková", Match: []string{"pbx1:992"}, Queues: []string{"pbx1:902"}},
		}
		c.Queues = []config.Queue{{ID: "pbx1:902", Name: "Sales"}}
	})
	before := q.look("before any event", at(0))
	q.post(at(10), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Idle"}`)
	after := q.look("Petr's phone is idle", at(20))
	if s := queueOfLook(t, before, "pbx1:902"); s.Agents["available"] != 0 {
		t.Errorf("before: %+v", s)
	}
	if s := queueOfLook(t, after, "pbx1:902"); s.Agents["available"] != 1 {
		t.Errorf("after: %+v", s)
	}
	if a := agentOfLook(t, after, "petr"); a.State != "available" || a.QueueStates["pbx1:902"] != "available" {
		t.Errorf("petr = %+v", a)
	}
	if a := agentOfLook(t, after, "jana"); a.State != "offline" || a.QueueStates["pbx1:902"] != "offline" {
		t.Errorf("jana = %+v", a)
	}
	q.check("simotel-fresh-day-membership")
}

// VOIPEX: janecek logs into NOC and Sales, out of NOC, then pauses in Sales for lunch
// (the documented AgentPaused example, PauseName "Oběd").
func TestQueueScenarioVoipexPerQueue(t *testing.T) {
	q := startQueueScenario(t, nil)
	who := `"Login":"janecek","Line":"163","Email":"nejaky@email.cz"`
	q.post(at(0), "/hooks/ipex", `{"EventName":"AgentLogin","Queue":"NOC",`+who+`}`)
	q.post(at(5), "/hooks/ipex", `{"EventName":"AgentLogin","Queue":"Sales",`+who+`}`)
	both := q.look("logged into NOC and Sales", at(10))
	q.post(at(60), "/hooks/ipex", `{"EventName":"AgentLogout","Queue":"NOC",`+who+`}`)
	outNOC := q.look("logged out of NOC", at(70))
	q.post(at(120), "/hooks/ipex", `{"EventName":"AgentPaused","Queue":"Sales",`+who+`,"PauseName":"Oběd"}`)
	paused := q.look("paused in Sales", at(130))

	id := "ipex:janecek"
	if a := agentOfLook(t, both, id); a.State != "available" || a.QueueStates["ipex:NOC"] != "available" || a.QueueStates["ipex:Sales"] != "available" {
		t.Errorf("both = %+v", a)
	}
	if a := agentOfLook(t, outNOC, id); a.State != "available" || a.QueueStates["ipex:NOC"] != "offline" || a.QueueStates["ipex:Sales"] != "available" {
		t.Errorf("out of NOC = %+v", a)
	}
	if s := queueOfLook(t, outNOC, "ipex:NOC"); s.Agents["available"] != 0 {
		t.Errorf("NOC = %+v", s)
	}
	if a := agentOfLook(t, paused, id); a.State != "paused" || a.PauseReason != "Oběd" || a.QueueStates["ipex:Sales"] != "paused" {
		t.Errorf("paused = %+v", a)
	}
	if !wallboardHas(paused, "Paused Oběd") {
		t.Errorf("the wallboard does not show the reason:\n%s", strings.Join(paused.Wallboard, "\n"))
	}
	q.check("voipex-per-queue")
}

// SipSim's documented department example: managers 1 and 2 busy, manager 3 answers.
// SipSim sends no presence: between calls manager 3 is not available, unless the
// directory lists them in the department (Olga, manager 1, is).
func TestQueueScenarioSipsimManagerBetweenCalls(t *testing.T) {
	q := startQueueScenario(t, func(c *config.Config) {
		c.Agents = append(c.Agents, config.Agent{ID: "olga", Name: "Olga", Match: []string{"sipsim:+375290000001"}, Queues: []string{"sipsim:+375172000100"}})
	})
	dir := "ingest/testdata/sipsim/legacy_post_dept_"
	t0 := time.Date(2020, 4, 6, 5, 28, 15, 0, time.UTC)
	for i, f := range []string{"1_incoming_call_start", "2_chain_start_manager1", "3_chain_end_manager1_busy",
		"4_chain_start_manager2", "5_chain_end_manager2_busy", "6_chain_start_manager3", "7_incoming_call_answer_manager3"} {
		q.fixture(t0.Add(time.Duration(i)*time.Second), dir+f+".http")
	}
	on := q.look("manager 3 on the call", t0.Add(30*time.Second))
	q.fixture(t0.Add(111*time.Second), dir+"8_incoming_call_end.http")
	between := q.look("between calls", t0.Add(200*time.Second))
	m3 := "sipsim:+375290000003"
	if a := agentOfLook(t, on, m3); a.State != "on_call" {
		t.Errorf("on the call: %+v", a)
	}
	if a := agentOfLook(t, between, m3); a.State != "offline" {
		t.Errorf("between calls: %+v (no event says available)", a)
	}
	if a := agentOfLook(t, between, "olga"); a.State != "available" {
		t.Errorf("olga (listed in the department) = %+v", a)
	}
	if s := queueOfLook(t, between, "sipsim:+375172000100"); s.Agents["available"] != 1 {
		t.Errorf("department = %+v", s)
	}
	q.check("sipsim-manager-between-calls")
}

// Two Simotel queues pooled. 902: one call answered in 10 s (SL 1/1). 903: one answered
// in 12 s, one short abandon (3 s), two abandons (40 s, 50 s): SL 1/3. Pooled from
// counts: 2 of 4 = 50 %; averaging the queues' percentages weighted by their calls
// would give 46.7 %.
func TestQueueScenarioPooledSummary(t *testing.T) {
	q := startQueueScenario(t, func(c *config.Config) {
		c.Queues = []config.Queue{{ID: "pbx1:902", Name: "Sales"}, {ID: "pbx1:903", Name: "Support"}}
	})
	n := 0
	record := func(queue, disp string, start, wait, talk float64) {
		n++
		id := fmt.Sprintf("1773133300.%d", n)
		dst, ans := "", ""
		if disp == "ANSWERED" {
			dst, ans = "991", tehran(start+wait)
		}
		end := start + wait + talk
		q.post(at(end), "/hooks/pbx1/CdrQueue", fmt.Sprintf(`{"event_name":"CdrQueue","unique_id":%q,"src":"0912000%04d","dst":%q,"queue":%q,
			"billsec":"%g","wait":"%g","duration":"%g","disposition":%q,"hangup":"caller","record":"","answeredtime":%q,"starttime":%q,"endtime":%q,"detail":[]}`,
			id, n, dst, queue, talk, wait, wait+talk, disp, ans, tehran(start), tehran(end)))
	}
	record("902", "ANSWERED", 0, 10, 60)
	record("903", "ANSWERED", 0, 12, 30)
	record("903", "NO ANSWER", 10, 3, 0)
	record("903", "NO ANSWER", 20, 40, 0)
	record("903", "NO ANSWER", 30, 50, 0)
	l := q.look("two queues", at(300))
	if s := queueOfLook(t, l, "pbx1:903"); s.Today.ServiceLevelPct != 33.3 || s.Today.Abandoned != 2 {
		t.Errorf("903 = %+v", s)
	}
	if !wallboardHas(l, "#summary: Service level 50%") {
		t.Errorf("the summary does not pool the service level:\n%s", strings.Join(l.Wallboard, "\n"))
	}
	q.check("pooled-summary")
}

// A supervisor pauses Petr in 902 from Ringside for "Lunch". The Simotel API takes no
// reason (pbx/queues/pauseagent {queue, agent}); the PBX confirms with NewState Pause;
// the board shows the reason Ringside logged. Resume, then a pause made on the phone:
// "Paused" without a reason.
func TestQueueScenarioSimotelPauseFromRingside(t *testing.T) {
	fake := simotel.NewFake(simotel.FakeOptions{Auth: "both", Username: apiUser, Password: apiPass, APIKey: apiKey})
	fake.Start()
	t.Cleanup(fake.Close)
	q := startQueueScenario(t, func(c *config.Config) {
		for i := range c.Sources {
			if c.Sources[i].Name == "pbx1" {
				c.Sources[i].API = &config.API{URL: fake.URL(), Username: apiUser, Password: apiPass, APIKey: apiKey}
			}
		}
		c.Agents = []config.Agent{{ID: "petr", Name: "Petr Novák", Match: []string{"pbx1:991"}, Queues: []string{"pbx1:902"}}}
		c.Queues = []config.Queue{{ID: "pbx1:902", Name: "Sales"}}
	})
	q.post(at(0), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Idle"}`)
	q.clk.set(at(60))
	if code, _ := q.api("POST", "/api/v1/agents/petr/pause", map[string]string{"queue": "pbx1:902", "reason": "Lunch"}); code != 200 {
		t.Fatalf("pause: %d", code)
	}
	asked := q.look("asked, not confirmed yet", at(60.5))
	q.post(at(61), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Pause","queue":"902"}`)
	paused := q.look("the PBX confirmed the pause", at(120))
	q.clk.set(at(600))
	if code, _ := q.api("POST", "/api/v1/agents/petr/resume", map[string]string{"queue": "pbx1:902"}); code != 200 {
		t.Fatalf("resume: %d", code)
	}
	q.post(at(601), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Idle"}`)
	resumed := q.look("resumed", at(610))
	q.post(at(900), "/hooks/pbx1/NewState", `{"event_name":"NewState","exten":"991","state":"Pause","queue":"902"}`)
	phone := q.look("paused on the phone", at(910))

	var sent []string
	for _, r := range fake.Requests() {
		sent = append(sent, fmt.Sprintf("%s queue=%s agent=%s fields=%d", r.Service, r.Field("queue"), r.Field("agent"), len(r.Fields)))
	}
	if want := []string{"pbx/queues/pauseagent queue=902 agent=991 fields=2", "pbx/queues/resumeagent queue=902 agent=991 fields=2"}; !slices.Equal(sent, want) {
		t.Errorf("requests to the PBX = %q, want %q", sent, want)
	}
	if a := agentOfLook(t, asked, "petr"); a.State != "available" {
		t.Errorf("before the PBX confirms: %+v", a)
	}
	if a := agentOfLook(t, paused, "petr"); a.State != "paused" || a.PauseReason != "Lunch" || a.QueueStates["pbx1:902"] != "paused" {
		t.Errorf("paused: %+v", a)
	}
	if !wallboardHas(paused, "Paused Lunch") {
		t.Errorf("no reason on the wallboard:\n%s", strings.Join(paused.Wallboard, "\n"))
	}
	if a := agentOfLook(t, resumed, "petr"); a.State != "available" || a.PauseReason != "" {
		t.Errorf("resumed: %+v", a)
	}
	if a := agentOfLook(t, phone, "petr"); a.State != "paused" || a.PauseReason != "" {
		t.Errorf("paused on the phone: %+v (no invented reason)", a)
	}
	q.check("simotel-pause-from-ringside")
}
