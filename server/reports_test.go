package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/config"
	"ringside/server/sim"
	"ringside/store"
)

func reportAt(h, m int) time.Time { return time.Date(2026, 3, 10, h, m, 0, 0, time.UTC) }

// reportDay is a day (2026-03-10, times UTC; the display zone is pbx1's Asia/Tehran) of
// Simotel calls on pbx1 across two queues and three agents, with Petr's presence from
// VOIPEX (his directory entry matches both): pauses of two reasons, a logout, a
// transfer, an abandon outside and one inside the short-abandon window, an outbound
// call. Simotel's NewState carries no pause reason; VOIPEX's pause does.
func reportDay(t *testing.T, e *scenarioEnv) []timedDelivery {
	pbx, ipex := simSource(t, e.cfg, "pbx1", ""), simSource(t, e.cfg, "ipex", "")
	inQueue := func(st sim.Story, q string) sim.Story { st.Queue = q; return st }
	petr := func(kind sim.Kind, n int, at time.Time, reason string) []timedDelivery {
		st := story("voipex", kind, n, at)
		if reason != "" {
			st.PauseReason = reason
		}
		return renderAll(ipex, st)
	}
	jana := story("simotel", sim.AgentLogin, 2, reportAt(8, 30))
	jana.Agent = simJana
	short := story("simotel", sim.Missed, 13, reportAt(9, 20))
	short.Queue, short.Chain, short.End = "901", nil, 3*storySec
	ds := renderAll(pbx,
		jana,
		story("simotel", sim.QueueAnswered, 11, reportAt(9, 0)),
		story("simotel", sim.Missed, 12, reportAt(9, 10)),
		short,
		inQueue(story("simotel", sim.Transfer, 14, reportAt(10, 0)), "901"),
		inQueue(story("simotel", sim.QueueAnswered, 15, reportAt(11, 0)), "901"),
		story("simotel", sim.Outbound, 16, reportAt(12, 0)))
	for _, p := range [][]timedDelivery{
		petr(sim.AgentLogin, 1, reportAt(8, 0), ""),
		petr(sim.AgentPause, 3, reportAt(10, 0), "Oběd"),
		petr(sim.AgentUnpause, 4, reportAt(10, 30), ""),
		petr(sim.AgentPause, 5, reportAt(11, 30), "Školení"),
		petr(sim.AgentUnpause, 6, reportAt(11, 45), ""),
		petr(sim.AgentLogout, 7, reportAt(12, 30), ""),
	} {
		ds = append(ds, p...)
	}
	slices.SortStableFunc(ds, func(a, b timedDelivery) int { return a.at.Compare(b.at) })
	return ds
}

// takeCallback logs that someone calls back the caller of an abandoned call, as the
// callbacks page logs it.
func (e *scenarioEnv) takeCallback(abandoned string, at time.Time) {
	e.t.Helper()
	mark := call.Event{Source: "pbx1", Vendor: "ringside", Name: "CallbackTaken", Type: call.CallbackTaken, Call: abandoned,
		From: vendorStyles["simotel"].caller, By: "admin", At: at, ReceivedAt: at}
	d := store.Delivery{Source: "pbx1", Method: "POST", Path: "/callbacks/take", ReceivedAt: at, Key: "callback:" + randomID()}
	if _, err := e.st.Append(context.Background(), d, []call.Event{mark}); err != nil {
		e.t.Fatal(err)
	}
}

func reportConfig(t *testing.T) *config.Config {
	cfg := scenarioConfig(t)
	cfg.Queues = []config.Queue{{ID: "pbx1:901", Name: "Sales", SLThresholdS: 30}, {ID: "pbx1:902", Name: "=2+3"}}
	// pbx1 first: its zone (Asia/Tehran, UTC+3:30) is the display zone.
	slices.SortStableFunc(cfg.Sources, func(a, b config.Source) int {
		return strings.Compare(strings.TrimPrefix(a.Name, "pbx1"), strings.TrimPrefix(b.Name, "pbx1"))
	})
	return cfg
}

func (e *scenarioEnv) report(kind string, req map[string]any, into any) {
	e.t.Helper()
	code, data := e.api("POST", "/api/v1/reports/"+kind, req)
	if code != 200 {
		e.t.Fatalf("report %s: %d %s", kind, code, data)
	}
	if err := json.Unmarshal(data, into); err != nil {
		e.t.Fatal(err)
	}
}

type queueReportRow struct {
	Queue, Name, Period                       string
	Offered, Answered, Abandoned              int
	ServiceLevelPct, ASAS, AHTS, LongestWaitS float64
}

func (r *queueReportRow) UnmarshalJSON(b []byte) error {
	var v struct {
		Queue, Name, Period          string
		Offered, Answered, Abandoned int
		SL                           float64 `json:"service_level_pct"`
		ASA                          float64 `json:"asa_s"`
		AHT                          float64 `json:"aht_s"`
		Longest                      float64 `json:"longest_wait_s"`
	}
	err := json.Unmarshal(b, &v)
	*r = queueReportRow{v.Queue, v.Name, v.Period, v.Offered, v.Answered, v.Abandoned, v.SL, v.ASA, v.AHT, v.Longest}
	return err
}

// wallboardAgrees checks today's queues report against the wallboard's today, queue by
// queue.
func (e *scenarioEnv) wallboardAgrees() {
	e.t.Helper()
	var rows []queueReportRow
	e.report("queues", map[string]any{}, &rows)
	var board []call.Queue
	if err := json.Unmarshal(e.get("/api/v1/queues"), &board); err != nil {
		e.t.Fatal(err)
	}
	if len(board) == 0 {
		e.t.Fatal("no queues on the wallboard")
	}
	for _, q := range board {
		i := slices.IndexFunc(rows, func(r queueReportRow) bool { return r.Queue == q.ID })
		if i < 0 {
			e.t.Errorf("queue %s is on the wallboard, not in the report", q.ID)
			continue
		}
		r, w := rows[i], q.Today
		got := []float64{float64(r.Offered), float64(r.Answered), float64(r.Abandoned), r.ServiceLevelPct, r.ASAS, r.AHTS}
		want := []float64{float64(w.Offered), float64(w.Answered), float64(w.Abandoned), w.ServiceLevelPct, w.ASAS, w.AHTS}
		if !slices.Equal(got, want) {
			e.t.Errorf("%s at %s: report offered/answered/abandoned/SL/ASA/AHT %v, wallboard %v", q.ID, e.clk.now().Format(time.TimeOnly), got, want)
		}
	}
}

func TestReportDay(t *testing.T) {
	e := startClocked(t, reportConfig(t))
	pbx := simSource(t, e.cfg, "pbx1", "")
	// The day before, one call in 900 that nobody was offered (whose phone going idle
	// would make its agent reachable from then on).
	before := story("simotel", sim.Missed, 1, reportAt(9, 0).AddDate(0, 0, -1))
	before.Chain = nil
	for _, d := range renderAll(pbx, before) {
		e.deliver(d)
	}
	for _, d := range reportDay(t, e) {
		if d.at.After(reportAt(11, 0).Add(30 * time.Second)) {
			break
		}
		e.deliver(d)
	}
	// 11:00:30: the call in 901 was answered at 11:00:25 and is still on.
	e.barrier()
	e.wallboardAgrees()

	for _, d := range reportDay(t, e) {
		if d.at.After(reportAt(11, 0).Add(30 * time.Second)) {
			e.deliver(d)
		}
	}
	e.clk.set(reportAt(13, 0))
	// Someone calls back the caller who gave up on 900 at 09:10 (logged as the
	// callbacks page logs it), twice: one callback made.
	for range 2 {
		e.takeCallback("pbx1:"+story("simotel", sim.Missed, 12, reportAt(9, 10)).ID, reportAt(12, 50))
	}
	e.barrier()
	e.wallboardAgrees()

	// Hand-computed. 900: 09:00 answered at 25 s (SL 20 s: missed), talk 100 s; 09:10
	// abandoned after 40 s. 901 (SL 30 s): 09:20 gave up after 3 s (short abandon);
	// 10:00 answered at 8 s, talk 142 s (transferred at 60 s); 11:00 answered at 25 s,
	// talk 100 s.
	var queues []queueReportRow
	e.report("queues", map[string]any{}, &queues)
	wantQueues := []queueReportRow{
		{Queue: "ipex:NOC", Name: "NOC"}, // Petr's VOIPEX queue, on the wallboard, no calls
		{Queue: "pbx1:900", Name: "900", Offered: 2, Answered: 1, Abandoned: 1, ServiceLevelPct: 0, ASAS: 25, AHTS: 100, LongestWaitS: 40},
		{Queue: "pbx1:901", Name: "Sales", Offered: 3, Answered: 2, Abandoned: 0, ServiceLevelPct: 100, ASAS: 16.5, AHTS: 121, LongestWaitS: 25},
		{Queue: "pbx1:902", Name: "=2+3"}, // configured, no calls
	}
	if !reflect.DeepEqual(queues, wantQueues) {
		t.Errorf("queues\n%+v\nwant\n%+v", queues, wantQueues)
	}

	// Agents, hand-computed. Petr (directory: pbx1:991 and ipex:petr.novak): busy at
	// 09:00 and 11:00, no answer at 09:10 (3 offers, none taken); one outbound call, 60 s;
	// logged in 08:00-12:30 (16,200 s) with Oběd 10:00-10:30 and Školení 11:30-11:45;
	// ready 13,500 s, of which 60 on the phone. Jana (992): no answer at 09:00, 09:10
	// (Simotel's record says NO ANSWER though the caller left while she rang) and 11:00,
	// took the 10:00 call by transfer (90 s); logged in from 08:30, never out: until now,
	// 13:00. Tomáš (993): took 09:00 (100 s), 10:00 (52 s until he transferred) and 11:00
	// (100 s); Simotel says nothing of him before his phone went idle at 09:02:05, and
	// an idle phone is a reachable agent: logged in 09:02:05-13:00 (14,275 s).
	var agents []map[string]any
	e.report("agents", map[string]any{}, &agents)
	want := `[` +
		`{"agent":"pbx1:992","name":"992","offered":4,"answered":1,"not_answered":3,"outbound":0,"talk_s":90,"aht_s":90,"logged_in_s":16200,"available_s":16110,"paused_s":{},"occupancy_pct":0.6},` +
		`{"agent":"pbx1:993","name":"993","offered":3,"answered":3,"not_answered":0,"outbound":0,"talk_s":252,"aht_s":84,"logged_in_s":14275,"available_s":14023,"paused_s":{},"occupancy_pct":1.8},` +
		`{"agent":"petr","name":"Petr Novák","offered":3,"answered":0,"not_answered":3,"outbound":1,"talk_s":60,"aht_s":0,"logged_in_s":16200,"available_s":13440,"paused_s":{"Oběd":1800,"Školení":900},"occupancy_pct":0.4}]`
	var wantAgents []map[string]any
	if err := json.Unmarshal([]byte(want), &wantAgents); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(agents, wantAgents) {
		t.Errorf("agents\n%s\nwant\n%s", jsonText(agents), want)
	}

	// By hour in Tehran (UTC+3:30): 900's calls at 12:30 and 12:40 local, 901's at
	// 12:50, 13:30 and 14:30.
	var hours []queueReportRow
	e.report("queues", map[string]any{"group_by": "hour"}, &hours)
	var periods []string
	for _, h := range hours {
		periods = append(periods, h.Queue+" "+h.Period+" "+jsonText(h.Offered))
	}
	// 16:00 has the callback made at 16:20 and no call.
	wantPeriods := []string{"pbx1:900 2026-03-10T12:00:00+03:30 2", "pbx1:900 2026-03-10T16:00:00+03:30 0", "pbx1:901 2026-03-10T12:00:00+03:30 1",
		"pbx1:901 2026-03-10T13:00:00+03:30 1", "pbx1:901 2026-03-10T14:00:00+03:30 1"}
	if !slices.Equal(periods, wantPeriods) {
		t.Errorf("by hour %q, want %q", periods, wantPeriods)
	}

	e.checkReportPage()

	// A late record: yesterday's 10:00 call, whose record arrives only now. Yesterday's
	// report gains it; today's is unchanged.
	yesterday := map[string]any{"from": "2026-03-09T00:00:00+03:30", "to": "2026-03-10T00:00:00+03:30", "queues": []string{"pbx1:900"}}
	var earlier, after []queueReportRow
	e.report("queues", yesterday, &earlier)
	late := story("simotel", sim.RecordOnly, 2, reportAt(10, 0).AddDate(0, 0, -1))
	for _, d := range renderAll(pbx, late) {
		d.at = reportAt(13, 0)
		e.deliver(d)
	}
	e.barrier()
	e.report("queues", yesterday, &after)
	if len(earlier) != 1 || earlier[0].Offered != 1 || earlier[0].Answered != 0 || len(after) != 1 || after[0].Offered != 2 || after[0].Answered != 1 {
		t.Errorf("yesterday before the late record %+v, after %+v; want 1 then 2 offered, 0 then 1 answered", earlier, after)
	}
	e.report("queues", map[string]any{}, &queues)
	if !reflect.DeepEqual(queues, wantQueues) {
		t.Errorf("today changed by yesterday's record: %+v", queues)
	}
}

// Bad requests are refused with a message saying what is wrong.
func TestReportRequests(t *testing.T) {
	e := startClocked(t, reportConfig(t))
	for body, want := range map[string]string{
		`{"group_by":"week"}`:  "group_by must be total, hour or day",
		`{"from":"yesterday"}`: "from must be an RFC 3339 time",
		`{"from":"2026-03-10T00:00:00Z","to":"2026-03-09T00:00:00Z"}`:                   "to must be after from",
		`{"from":"2025-01-01T00:00:00Z","to":"2026-03-09T00:00:00Z"}`:                   "a report covers at most 366 days",
		`{"from":"2026-01-01T00:00:00Z","to":"2026-03-09T00:00:00Z","group_by":"hour"}`: "a report by hour covers at most 62 days",
		`[1]`: "body must be a JSON object",
	} {
		req, _ := http.NewRequest("POST", e.url+"/api/v1/reports/queues", strings.NewReader(body))
		req.Header.Set("X-APIKEY", "admin-key")
		code, text := e.do(req)
		if code != 400 || !strings.Contains(text, want) {
			t.Errorf("%s: %d %s, want 400 with %q", body, code, text, want)
		}
	}
}

// cells reads a report table's row from the page: data-k → text.
func cells(t *testing.T, html, attr, id string) map[string]string {
	t.Helper()
	start := strings.Index(html, attr+`="`+id+`" data-period=""`)
	if start < 0 {
		t.Fatalf("no row %s=%s on the page", attr, id)
	}
	row := html[start : start+strings.Index(html[start:], "</tr>")]
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`data-k="([^"]+)">([^<]*)<`).FindAllStringSubmatch(row, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// The page shows the same figures, and every table exports them as CSV.
func (e *scenarioEnv) checkReportPage() {
	t := e.t
	cookie := e.formLogin("admin", "adminpw")
	get := func(path string) string {
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.AddCookie(cookie)
		code, body := e.do(req)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		return body
	}
	page := get("/reports")
	want := map[string]string{"offered": "3", "answered": "2", "abandoned": "0", "short": "1", "sl": "100%",
		"asa": "16.5 s", "aht": "2:01", "longest": "25 s", "callbacks": "0"}
	if got := cells(t, page, "data-queue", "pbx1:901"); !reflect.DeepEqual(got, want) {
		t.Errorf("queue 901 on the page %v, want %v", got, want)
	}
	if got := cells(t, page, "data-queue", "pbx1:900")["callbacks"]; got != "1" {
		t.Errorf("queue 900 shows %q callbacks made, want 1", got)
	}
	// All queues pooled from counts: 5 offered, 3 answered, 1 abandoned, 1 short; SL 2 of 4
	// (answered in 900 at 25 s misses its 20 s, 901's two meet 30 s; 900's abandon counts).
	if !strings.Contains(page, `data-k="all-offered">5<`) || !strings.Contains(page, `data-k="all-sl">50%<`) {
		t.Errorf("the all-queues line is not 5 offered at 50%%")
	}
	page = get("/reports?view=agents")
	want = map[string]string{"offered": "3", "answered": "0", "not_answered": "3", "outbound": "1", "talk": "1:00",
		"aht": "0 s", "logged_in": "4:30:00", "available": "3:44:00", "paused:Oběd": "30:00", "paused:Školení": "15:00",
		"occupancy": "0.4%"}
	if got := cells(t, page, "data-agent", "petr"); !reflect.DeepEqual(got, want) {
		t.Errorf("Petr on the page %v, want %v", got, want)
	}
	for _, view := range []string{"queues", "agents", "distribution"} {
		if p := get("/reports?view=" + view + "&period=last_month"); !strings.Contains(p, "<svg") {
			t.Errorf("%s view has no chart", view)
		}
	}
	csvRows := func(table string) [][]string {
		rows, err := csv.NewReader(strings.NewReader(get("/reports.csv?view=agents&table=" + table))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	agents := csvRows("agents")
	wantHead := "agent name period offered answered not_answered outbound talk_s aht_s logged_in_s available_s paused_s paused_s:Oběd paused_s:Školení occupancy_pct"
	wantPetr := "petr Petr Novák  3 0 3 1 60 0 16200 13440 2700 1800 900 0.4"
	if len(agents) != 4 || strings.Join(agents[0], " ") != wantHead || strings.Join(agents[3], " ") != wantPetr {
		t.Errorf("agents CSV %q", agents)
	}
	queues := csvRows("queues")
	if len(queues) != 5 || strings.Join(queues[4], ",") != "pbx1:902,'=2+3,,0,0,0,0,0,0,0,0,0" {
		t.Errorf("queues CSV (a name that is a formula is defused) %q", queues)
	}
	if heat := csvRows("heat"); len(heat) != 8 || heat[3][0] != "Tue" || heat[3][13] != "3" || heat[3][14] != "1" || heat[3][15] != "1" {
		t.Errorf("heat CSV: Tuesday 12:00 (Tehran) has the calls at 12:30, 12:40 and 12:50, 13:00 and 14:00 one each: %q", heat)
	}
}

// A reload that changes a queue's thresholds counts the report by them, past calls
// included, as the wallboard does.
func TestReportFollowsReloadedThresholds(t *testing.T) {
	cfg := reportConfig(t)
	e := startClocked(t, cfg)
	pbx := simSource(t, e.cfg, "pbx1", "")
	for _, d := range renderAll(pbx, story("simotel", sim.QueueAnswered, 11, reportAt(9, 0)), story("simotel", sim.Missed, 12, reportAt(9, 10))) {
		e.deliver(d)
	}
	e.clk.set(reportAt(13, 0))
	e.barrier()
	sl := func() float64 {
		var rows []queueReportRow
		e.report("queues", map[string]any{"queues": []string{"pbx1:900"}}, &rows)
		if len(rows) != 1 {
			t.Fatalf("rows %+v", rows)
		}
		return rows[0].ServiceLevelPct
	}
	if got := sl(); got != 0 { // answered at 25 s, over the default 20 s; one abandon
		t.Fatalf("service level %v, want 0", got)
	}
	next := *e.cfg
	next.Sources = slices.Clone(next.Sources) // Check fills each source's derived fields: not the running server's
	next.Queues = append(slices.Clone(cfg.Queues), config.Queue{ID: "pbx1:900", SLThresholdS: 30})
	if err := config.Check(&next); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(&next); err != nil {
		t.Fatal(err)
	}
	e.barrier()
	if got := sl(); got != 50 { // answered within 30 s now: 1 of 2
		t.Errorf("service level after the reload %v, want 50", got)
	}
	e.wallboardAgrees()
}

// Buckets missing from a store (one from before reports) are built on start from the
// stored CDRs and the log's presence events: the same report as the day kept live.
func TestReportBucketsRebuiltOnStart(t *testing.T) {
	cfg := reportConfig(t)
	var live, rebuilt []map[string]any
	var liveQ, rebuiltQ []queueReportRow
	t.Run("live", func(t *testing.T) {
		e := startClocked(t, cfg)
		for _, d := range reportDay(t, e) {
			e.deliver(d)
		}
		e.clk.set(reportAt(13, 0))
		e.takeCallback("pbx1:"+story("simotel", sim.Missed, 12, reportAt(9, 10)).ID, reportAt(12, 50))
		e.barrier()
		e.report("agents", map[string]any{}, &live)
		e.report("queues", map[string]any{}, &liveQ)
	})
	st, err := store.Open(filepath.Join(cfg.Data, "ringside.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateBuckets(func(bt *store.BucketTx) error { return bt.ResetBuckets() }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	e := startClocked(t, cfg)
	e.clk.set(reportAt(13, 0))
	e.barrier()
	e.report("agents", map[string]any{}, &rebuilt)
	e.report("queues", map[string]any{}, &rebuiltQ)
	if len(live) != 3 || !reflect.DeepEqual(live, rebuilt) || !reflect.DeepEqual(liveQ, rebuiltQ) {
		t.Errorf("kept live:\n%s\n%+v\nrebuilt:\n%s\n%+v", jsonText(live), liveQ, jsonText(rebuilt), rebuiltQ)
	}
	// The callback made at 16:20 (Tehran) is rebuilt from the log: an hour of 900's.
	var hours []queueReportRow
	e.report("queues", map[string]any{"group_by": "hour", "queues": []string{"pbx1:900"}}, &hours)
	if len(hours) != 2 || hours[1].Period != "2026-03-10T16:00:00+03:30" {
		t.Errorf("900 by hour after the rebuild: %+v", hours)
	}
}

// A report's default period is today where the person asking lives: the same instant
// is another day in Tehran than in Los Angeles.
func TestReportPeriodInThePersonsZone(t *testing.T) {
	e := startClocked(t, reportConfig(t))
	e.clk.set(time.Date(2026, 3, 10, 22, 0, 0, 0, time.UTC)) // 11th in Tehran, 10th in LA
	for _, name := range []string{"Asia/Tehran", "America/Los_Angeles"} {
		zone, err := time.LoadLocation(name)
		if err != nil {
			t.Skip("no zone database:", err)
		}
		p, err := e.srv.reportParams(reportRequest{}, zone)
		if err != nil {
			t.Fatal(err)
		}
		now := e.clk.now().In(zone)
		want := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
		if !p.From.Equal(want) || !p.To.Equal(want.AddDate(0, 0, 1)) || p.Zone != zone {
			t.Errorf("%s: period %v – %v, want the day from %v", name, p.From, p.To, want)
		}
	}
}
