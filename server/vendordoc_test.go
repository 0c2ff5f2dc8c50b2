package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/sim"
	"ringside/views"
)

// Scenarios written from the vendors' documented payloads (field names, event names,
// reasons and value formats as each vendor documents them), not from the simulator's
// stories: each is a sequence of raw webhook requests posted over HTTP to a real server.
// testdata/vendordoc/{name}.json holds what GET /api/v1/calls/{id} and each involved
// agent's page fragment (the pushed #pops and #recent-rows) show at chosen moments.

// docStep is one webhook request, sent at seconds after storyT0.
type docStep struct {
	at     float64
	source string
	target string // path and query; "" is /hooks/{source}
	method string // "" is POST
	ctype  string // "" is application/json
	body   string
}

type docScenario struct {
	name   string
	call   string    // the call id Ringside gives it
	agents []string  // whose pages to look at
	looks  []float64 // seconds after storyT0 to look at; the last is after every step
	steps  []docStep
}

// docAgentView is what an agent's page fragment shows of the call.
type docAgentView struct {
	State  call.AgentStatus `json:"state"`
	Pop    bool             `json:"pop"`             // a screen-pop card for the call
	Chain  string           `json:"chain,omitempty"` // its ring chain, as text
	Recent bool             `json:"recent"`          // the call among "My recent calls"
}

type docLook struct {
	AtS    float64                 `json:"at_s"`
	Call   *callView               `json:"call"`
	Agents map[string]docAgentView `json:"agents"`
}

// docConfig is the directory of the scenarios: people with their vendor identities.
func docConfig(t *testing.T) *config.Config {
	cfg := testConfig(t)
	cfg.Users = []config.User{{Name: "admin", PasswordHash: cheapHash(), Role: "admin", APIKey: "admin-key"}}
	// the looks read an ended call's card (its ring chain) minutes after the call ended
	cfg.EndedCardS = 600
	for i := range cfg.Sources {
		if cfg.Sources[i].Vendor == "sipsim" {
			cfg.Sources[i].SigningSecret = "" // the legacy platform: GET queries, unsigned
		}
	}
	cfg.Agents = []config.Agent{
		{ID: "petr", Name: "Petr Novák", Match: []string{"pbx1:991", "ipex:petr.novak", "sipsim:+375290000001"}},
		{ID: "jana", Name: "Jana Dvořáková", Match: []string{"pbx1:992", "ipex:jana.dvorakova", "sipsim:+375290000002"}},
		{ID: "eva", Name: "Eva Nováková", Match: []string{"ipex:novakova"}},
		{ID: "alice", Name: "Alice Smith", Match: []string{"cloud:301"}},
		{ID: "bob", Name: "Bob Jones", Match: []string{"cloud:302"}},
		{ID: "carol", Name: "Carol White", Match: []string{"cloud:303"}},
	}
	return cfg
}

func TestVendorDocScenarios(t *testing.T) {
	for _, sc := range docScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			got := indentJSON(playDoc(t, sc))
			path := filepath.Join("testdata", "vendordoc", sc.name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update, then read the file)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden, %s", sc.name, firstLineDiff(want, got))
			}
		})
	}
}

func playDoc(t *testing.T, sc docScenario) []docLook {
	cfg := docConfig(t)
	e := startClocked(t, cfg)
	var out []docLook
	next := 0
	for _, lookAt := range sc.looks {
		for ; next < len(sc.steps) && sc.steps[next].at <= lookAt; next++ {
			st := sc.steps[next]
			src := simSource(t, cfg, st.source, "")
			d := sim.Delivery{Method: cmpOr(st.method, "POST"), Target: cmpOr(st.target, "/hooks/"+st.source),
				Header: http.Header{}, Body: []byte(st.body)}
			if st.body != "" {
				d.Header.Set("Content-Type", cmpOr(st.ctype, "application/json"))
			}
			e.deliver(timedDelivery{src: src, at: docAt(st.at), d: d})
		}
		e.settle()
		e.clk.set(docAt(lookAt))
		look := docLook{AtS: lookAt, Call: e.callView(sc.call), Agents: map[string]docAgentView{}}
		for _, a := range sc.agents {
			look.Agents[a] = agentFragment(t, e, a, sc.call)
		}
		out = append(out, look)
	}
	if next != len(sc.steps) {
		t.Fatalf("%d steps after the last look", len(sc.steps)-next)
	}
	return out
}

func docAt(s float64) time.Time { return storyT0.Add(time.Duration(s * float64(time.Second))) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// agentFragment renders the agent's pushed page state and reads what it shows of a call.
func agentFragment(t *testing.T, e *scenarioEnv, agent, id string) docAgentView {
	d := e.srv.agentData(context.Background(), agent)
	var buf bytes.Buffer
	if err := views.AgentState(d, e.srv.names()).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	v := docAgentView{State: d.Agent.State}
	if i := strings.Index(html, `id="`+views.DOMID("pop", id)+`"`); i >= 0 {
		v.Pop = true
		card := html[i:]
		card = card[:strings.Index(card, "</article>")]
		if j := strings.Index(card, `<ol class="chain">`); j >= 0 {
			chain := card[j:]
			chain = chain[:strings.Index(chain, "</ol>")]
			v.Chain = strings.TrimSpace(spaceRE.ReplaceAllString(tagRE.ReplaceAllString(strings.ReplaceAll(chain, "</li>", ";"), " "), " "))
		}
	}
	if i := strings.Index(html, `id="recent-rows"`); i >= 0 {
		v.Recent = strings.Contains(html[i:], `href="/calls/`+url.PathEscape(id)+`"`)
	}
	return v
}

func docScenarios() []docScenario {
	return []docScenario{
		cloudTransferDoc(), voipexBargeDoc(), voipexSequentialDoc(), simotelDirectCdrDoc(),
		simotelOverflowDoc(), sipsimSecondRoundDoc(),
	}
}

// A cloud CDR (CloudSessionCdr, JSON POST) of a call first answered by Bob (ans*) and
// last by Carol (lAns*): Bob transferred it to Carol. The record has one talk time.
func cloudTransferDoc() docScenario {
	body := `{"triggerId":"4f1c2a9e-8d3b-4c1e-9a57-2b6f0d3e7c11","id":"c2a7d1e0-5b44-4f0e-8e1a-7d9b3c6f2e18",
"tenantId":"c2a7d1e0-5b44-4f0e-8e1a-7d9b3c6f2e18","cdr":{"id":"6b2f0c1d-8e4a-4d3b-9f7e-1c2d3e4f5a6b",
"dType":"CloudSessionCdr","sVer":1,"pbxId":"0c6e2b8a-93d1-4b7f-a1e4-5f2d8c9b0a37","pbxName":"Acme Cloud PBX",
"tz":"Europe/London","start":"2026-03-10T09:00:00+00:00","answer":"2026-03-10T09:00:12+00:00",
"end":"2026-03-10T09:03:30+00:00","dur":210,"ring":12,"talk":198,"hold":0,"park":0,"lost":0,"lostInPark":0,
"aban":0,"ans":1,"short":0,"cause":"NORMAL_CLEARING","dir":2,"type":2,"t2t":0,"cliNum":"+447700900123",
"cliName":"EXAMPLE LTD","ddiNum":"+441610000000","ddiName":"Support line",
"fRngDevNum":"user_k3x9a1","fRngDevName":"(T42S) Alice Smith","fRngUsrNum":"301","fRngUsrName":"Alice Smith","fRngAgtNum":"301","fRngAgtName":"Alice Smith",
"lRngDevNum":"user_m8q2b7","lRngDevName":"(T42S) Bob Jones","lRngUsrNum":"302","lRngUsrName":"Bob Jones","lRngAgtNum":"302","lRngAgtName":"Bob Jones",
"ansDevNum":"user_m8q2b7","ansDevName":"(T42S) Bob Jones","ansUsrNum":"302","ansUsrName":"Bob Jones","ansAgtNum":"302","ansAgtName":"Bob Jones",
"lAnsDevNum":"user_p4w7c2","lAnsDevName":"(T42S) Carol White","lAnsUsrNum":"303","lAnsUsrName":"Carol White","lAnsAgtNum":"303","lAnsAgtName":"Carol White",
"fRngGroupName":"Support","lRngGroupName":"Support","ansGroupName":"Support","hasRec":0,"recordingIds":[],
"directoryMatches":[],"tags":{}}}`
	return docScenario{name: "cloudcdr-transfer-record", call: "cloud:6b2f0c1d-8e4a-4d3b-9f7e-1c2d3e4f5a6b",
		agents: []string{"alice", "bob", "carol"}, looks: []float64{215},
		steps: []docStep{{at: 215, source: "cloud", body: body}}}
}

// VOIPEX: Petr answers a NOC queue call; supervisor Eva barges in (events with
// Direction "barge" and the call's UniqueId), leaves, and the call ends normally.
func voipexBargeDoc() docScenario {
	ev := func(at float64, json string) docStep { return docStep{at: at, source: "ipex", body: json} }
	const call = `"From":"777888999","To":"222333444","UniqueId":"1773133200.2001","Queue":"NOC"`
	petr := `"Line":"444","Email":"petr.novak@jehofirma.cz","Login":"petr.novak"`
	eva := `"Line":"150","Email":"eva.novakova@jehofirma.cz","Login":"novakova"`
	return docScenario{name: "voipex-barge-during-talk", call: "ipex:1773133200.2001",
		agents: []string{"petr", "eva"}, looks: []float64{70, 200},
		steps: []docStep{
			ev(0, `{"EventName":"NewCall",`+call+`,"Direction":"incoming"}`),
			ev(2, `{"EventName":"Ringing",`+call+`,`+petr+`,"Direction":"incoming"}`),
			ev(8, `{"EventName":"Answered",`+call+`,`+petr+`,"Direction":"incoming"}`),
			ev(60, `{"EventName":"Ringing",`+call+`,`+eva+`,"Direction":"barge"}`),
			ev(61, `{"EventName":"Answered",`+call+`,`+eva+`,"Direction":"barge"}`),
			ev(95, `{"EventName":"Hangup",`+call+`,`+eva+`,"Direction":"barge","Reason":"Normal Clearing"}`),
			ev(150, `{"EventName":"Hangup",`+call+`,`+petr+`,"Direction":"incoming","Reason":"Normal Clearing"}`),
			ev(151, `{"EventName":"CDR",`+call+`,`+petr+`,"Direction":"incoming","Reason":"Normal Clearing"}`),
		}}
}

// VOIPEX sequential queue: Petr does not pick up ("No user response" ends his leg), the
// queue rings Jana, who answers.
func voipexSequentialDoc() docScenario {
	ev := func(at float64, json string) docStep { return docStep{at: at, source: "ipex", body: json} }
	const call = `"From":"777888999","To":"222333444","UniqueId":"1773133200.2002","Queue":"NOC","Direction":"incoming"`
	petr := `"Line":"444","Email":"petr.novak@jehofirma.cz","Login":"petr.novak"`
	jana := `"Line":"445","Email":"jana.dvorakova@jehofirma.cz","Login":"jana.dvorakova"`
	return docScenario{name: "voipex-sequential-no-user-response", call: "ipex:1773133200.2002",
		agents: []string{"petr", "jana"}, looks: []float64{17.5, 20, 60, 200},
		steps: []docStep{
			ev(0, `{"EventName":"NewCall",`+call+`}`),
			ev(2, `{"EventName":"Ringing",`+call+`,`+petr+`}`),
			ev(17, `{"EventName":"Hangup",`+call+`,`+petr+`,"Reason":"No user response"}`),
			ev(18, `{"EventName":"Ringing",`+call+`,`+jana+`}`),
			ev(25, `{"EventName":"Answered",`+call+`,`+jana+`}`),
			ev(120, `{"EventName":"Hangup",`+call+`,`+jana+`,"Reason":"Normal Clearing"}`),
			ev(121, `{"EventName":"CDR",`+call+`,`+jana+`,"Reason":"Normal Clearing"}`),
		}}
}

// Simotel: only the Cdr of a direct call to extension 991 (its live events lost): dst is
// the agent's extension, entry_point the number dialled.
func simotelDirectCdrDoc() docScenario {
	return docScenario{name: "simotel-direct-call-cdr", call: "pbx1:1773133200.3001",
		agents: []string{"petr", "jana"}, looks: []float64{100},
		steps: []docStep{{at: 95, source: "pbx1", target: "/hooks/pbx1/Cdr", body: `{"event_name":"Cdr",
"starttime":"2026-03-10 12:30:00.000000","endtime":"2026-03-10 12:31:30.000000","src":"09121234567","dst":"991",
"type":"incoming","disposition":"ANSWERED","duration":"90","billsec":"84","wait":"6","record":"",
"entry_point":"02191305588","unique_id":"1773133200.3001"}`}}}
}

// Simotel: nobody in queue 900 answers, the call overflows to queue 901 where Jana
// answers: two CdrQueue records (one per queue) and the Cdr.
func simotelOverflowDoc() docScenario {
	ev := func(at float64, name, json string) docStep {
		return docStep{at: at, source: "pbx1", target: "/hooks/pbx1/" + name, body: `{"event_name":"` + name + `",` + json + `}`}
	}
	const uid = `"unique_id":"1773133200.3002"`
	return docScenario{name: "simotel-overflow-second-queue", call: "pbx1:1773133200.3002",
		agents: []string{"petr", "jana"}, looks: []float64{35, 200},
		steps: []docStep{
			ev(0, "IncomingCall", `"number":"09121234567","entry_point":"02191305588",`+uid),
			ev(2, "NewState", `"exten":"991","state":"Ringing","participant":"09121234567","direction":"in","queue":"900",`+uid),
			ev(22, "NewState", `"exten":"991","state":"Idle","participant":"09121234567","direction":"in","queue":"900",`+uid),
			ev(31, "NewState", `"exten":"992","state":"Ringing","participant":"09121234567","direction":"in","queue":"901",`+uid),
			ev(38, "NewState", `"exten":"992","state":"InUse","participant":"09121234567","direction":"in","queue":"901",`+uid),
			ev(150, "NewState", `"exten":"992","state":"Idle","participant":"09121234567","direction":"in","queue":"901",`+uid),
			ev(151, "CdrQueue", `"src":"09121234567","dst":"","queue":"900","billsec":"0","wait":"30","duration":"30",
"disposition":"NO ANSWER","hangup":"","record":"","starttime":"2026-03-10 12:30:00.000000","endtime":"2026-03-10 12:30:30.000000",
"detail":[{"src":"09121234567","dst":"991","billsec":"0","wait":"20","disposition":"NO ANSWER","comment":"","tries":"1"}],`+uid),
			ev(151, "CdrQueue", `"src":"09121234567","dst":"992","queue":"901","billsec":"112","wait":"8","duration":"120",
"disposition":"ANSWERED","hangup":"caller","record":"","answeredtime":"2026-03-10 12:30:38.000000",
"starttime":"2026-03-10 12:30:30.000000","endtime":"2026-03-10 12:32:30.000000",
"detail":[{"src":"09121234567","dst":"992","billsec":"112","wait":"7","disposition":"ANSWERED","comment":"","tries":"1"}],`+uid),
			ev(152, "Cdr", `"starttime":"2026-03-10 12:30:00.000000","endtime":"2026-03-10 12:32:30.000000","src":"09121234567",
"dst":"901","type":"incoming","disposition":"ANSWERED","duration":"150","billsec":"112","wait":"38","record":"",
"entry_point":"02191305588",`+uid),
		}}
}

// SipSim (legacy GET): the department's chain rings manager 1, then manager 2, then
// manager 1 again (a second ring round), who answers.
func sipsimSecondRoundDoc() docScenario {
	ev := func(at float64, q string) docStep {
		return docStep{at: at, source: "sipsim", method: "GET", target: "/hooks/sipsim?" + q}
	}
	const id = "pbx_id=1773133200.4001&caller=%2B375331112233"
	tm := func(s string) string { return "&time=2026-03-10T12:00:" + s + ".000%2B03:00" }
	return docScenario{name: "sipsim-second-ring-round", call: "sipsim:1773133200.4001",
		agents: []string{"petr", "jana"}, looks: []float64{27, 90},
		steps: []docStep{
			ev(0, "event=incoming_call_start&"+id+"&receiver=%2B375172000100"+tm("00")),
			ev(1, "event=incoming_call_start_chain_member_call&"+id+"&receiver=%2B375290000001"+tm("01")),
			ev(11, "event=incoming_call_end_chain_member_call&"+id+"&receiver=%2B375290000001&status=noanswer"+tm("11")),
			ev(12, "event=incoming_call_start_chain_member_call&"+id+"&receiver=%2B375290000002"+tm("12")),
			ev(22, "event=incoming_call_end_chain_member_call&"+id+"&receiver=%2B375290000002&status=noanswer"+tm("22")),
			ev(23, "event=incoming_call_start_chain_member_call&"+id+"&receiver=%2B375290000001"+tm("23")),
			ev(30, "event=incoming_call_answer&"+id+"&receiver=%2B375290000001"+tm("30")),
			ev(80, "event=incoming_call_end&"+id+"&receiver=%2B375172000100&status=answer&duration=80.0"+tm("80")),
		}}
}

// The facts each scenario is about, so a golden rewritten by -update cannot quietly
// accept the bug back.
func TestVendorDocFacts(t *testing.T) {
	looks := map[string][]docLook{}
	for _, sc := range docScenarios() {
		looks[sc.name] = playDoc(t, sc)
	}
	callOf := func(name string, i int) call.Call {
		var c call.Call
		if err := json.Unmarshal(looks[name][i].Call.Call, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	agents := func(c call.Call, role string) []string {
		var out []string
		for _, l := range c.Legs {
			if l.Role == role {
				out = append(out, l.Agent+"="+string(l.Outcome))
			}
		}
		return out
	}

	c := callOf("cloudcdr-transfer-record", 0)
	if c.Agent != "carol" || len(c.Transfers) != 1 || c.Transfers[0].FromAgent != "bob" || c.Transfers[0].ToAgent != "carol" ||
		strings.Join(agents(c, call.RoleAgent), " ") != "alice=noanswer bob=answer carol=answer" {
		t.Errorf("cloud transfer: agent %s, transfers %+v, legs %v", c.Agent, c.Transfers, agents(c, call.RoleAgent))
	}
	for _, l := range c.Legs {
		if l.Agent != "alice" && l.TalkS != nil {
			t.Errorf("cloud transfer: %s's talk time %v, but the record cannot split it", l.Agent, *l.TalkS)
		}
	}

	c = callOf("voipex-barge-during-talk", 0)
	eva, petr := looks["voipex-barge-during-talk"][0].Agents["eva"], looks["voipex-barge-during-talk"][0].Agents["petr"]
	if c.Agent != "petr" || c.State != call.StateAnswered || strings.Join(agents(c, call.RoleMonitor), " ") != "eva=answer" ||
		eva.Pop || eva.State == call.StateOnCall || petr.State != call.StateOnCall || !petr.Pop {
		t.Errorf("barge: agent %s state %s monitors %v; eva %+v; petr %+v", c.Agent, c.State, agents(c, call.RoleMonitor), eva, petr)
	}

	seq := looks["voipex-sequential-no-user-response"]
	if c := callOf("voipex-sequential-no-user-response", 0); c.State == call.StateEnded {
		t.Errorf("sequential: Petr's 'No user response' ended the call: %+v", c)
	}
	if !seq[1].Agents["jana"].Pop || seq[1].Agents["jana"].State != call.StateRinging {
		t.Errorf("sequential: Jana rung after Petr: %+v", seq[1].Agents["jana"])
	}
	if c := callOf("voipex-sequential-no-user-response", 3); c.Agent != "jana" || c.Disposition != call.Answered {
		t.Errorf("sequential: agent %s, disposition %s", c.Agent, c.Disposition)
	}

	c = callOf("simotel-direct-call-cdr", 0)
	if c.Agent != "petr" || c.To == "991" || !looks["simotel-direct-call-cdr"][0].Agents["petr"].Recent {
		t.Errorf("Simotel Cdr alone: agent %q, to %q, in petr's recent calls: %v", c.Agent, c.To, looks["simotel-direct-call-cdr"][0].Agents["petr"].Recent)
	}

	c = callOf("simotel-overflow-second-queue", 1)
	records := 0
	for _, line := range looks["simotel-overflow-second-queue"][1].Call.Timeline {
		if strings.HasPrefix(line, "CdrQueue ") {
			records++
		}
	}
	if records != 2 || c.Queue != "pbx1:901" || c.Agent != "jana" {
		t.Errorf("overflow: %d CdrQueue kept, queue %s, agent %s", records, c.Queue, c.Agent)
	}

	r := looks["sipsim-second-ring-round"]
	c = callOf("sipsim-second-ring-round", 1)
	if !r[0].Agents["petr"].Pop || strings.Join(agents(c, call.RoleAgent), " ") != "petr=noanswer jana=noanswer petr=answer" {
		t.Errorf("second ring round: petr at 27 s %+v; legs %v", r[0].Agents["petr"], agents(c, call.RoleAgent))
	}
}
