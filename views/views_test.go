package views

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"ringside/server/call"
	"ringside/views/i18n"
)

var now = time.Date(2025, 3, 12, 14, 37, 12, 0, time.UTC)

func ago(s float64) *time.Time {
	t := now.Add(-time.Duration(s * float64(time.Second)))
	return &t
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.String()
}

func mustContain(t *testing.T, name, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: missing %q", name, w)
		}
	}
}

// sample is a small but complete picture; s replaces every vendor string, so the XSS
// test can fill them all with markup.
type sample struct {
	wb  WallboardData
	ad  AgentData
	cc  call.Call
	cd  CDRData
	set SettingsData
}

func newSample(s func(string) string) sample {
	contact := &call.Contact{Name: s("Karel Černý"), Company: s("Acme Logistics"), Email: s("k@acme.example"), CRMID: s("CRM-1"), Phone: s("+420603111222")}
	q := call.Queue{ID: "ipex:" + s("NOC"), Name: s("NOC"), Source: "ipex", Waiting: 3, LongestWaitS: 75,
		Agents: map[call.AgentStatus]int{"available": 2, "on_call": 4, "paused": 1},
		Today:  call.Counters{Offered: 120, Answered: 110, Abandoned: 10, ServiceLevelPct: 91.7, ASAS: 12.3, AHTS: 185}}
	active := call.Call{ID: "ipex:" + s("1412256225.1941"), Source: "ipex", Vendor: "voipex", Direction: call.Inbound,
		From: s("+420603111222"), To: s("+420225000100"), DID: s("+420225000100"), Queue: q.ID, State: call.StateAnswered,
		Agent: "petr", StartedAt: ago(340), AnsweredAt: ago(312), Contact: contact, Tags: map[string]string{s("Support"): s("step1")}}
	ringing := call.Call{ID: "pbx1:1710000000.22", Source: "pbx1", Vendor: "simotel", Direction: call.Inbound,
		From: s("09121234567"), To: "02191305588", Queue: "pbx1:" + s("Support"), State: call.StateRinging,
		Ringing: []string{"petr"}, StartedAt: ago(62), Contact: contact,
		Legs: []call.Leg{{Agent: "jana", StartedAt: ago(60), EndedAt: ago(45), Outcome: call.OutcomeNoAnswer}, {Agent: "petr", StartedAt: ago(20)}}}
	ended := active
	ended.ID, ended.State, ended.Disposition = "ipex:1412256225.1900", call.StateEnded, call.Answered
	ended.EndedAt, ended.TalkS, ended.WaitS, ended.DurationS = ago(10), call.F(302), call.F(28), call.F(330)
	ended.HangupReason = s("Normal Clearing")
	ended.Recordings = []call.Recording{{URL: "/recordings/ipex:1412256225.1900/0"}, {URL: "javascript:alert(1)"}, {URL: "https://rec.example/a.mp3"}}
	ended.Transfers = []call.Transfer{{From: s("444"), To: s("445"), At: *ago(100)}}
	ended.Legs = []call.Leg{{Agent: "petr", StartedAt: ago(320), EndedAt: ago(10), Outcome: call.OutcomeAnswer, TalkS: call.F(302)}}
	vms := []call.Voicemail{
		{ID: "pbx1:vm1", Source: "pbx1", Mailbox: s("5555"), From: s("09121234567"), At: *ago(90), DurationS: call.F(14),
			Call: ended.ID, Queue: "pbx1:" + s("Support"), URL: "/voicemails/pbx1/vm1"},
		{ID: "pbx1:vm2", Source: "pbx1", Mailbox: s("991"), From: s("09350000000"), At: *ago(400), Held: s("Held by the PBX: configure [sources.api]")},
	}
	ended.Voicemails = vms[:1]
	ended.Events = []call.Event{
		{Source: "ipex", Vendor: "voipex", Name: s("IncomingCall"), Type: call.CallOffered, At: *ago(340), From: ended.From, To: ended.To},
		{Source: "ipex", Vendor: "voipex", Name: s("Hangup"), Type: call.CallEnded, At: *ago(10), HangupReason: s("Normal Clearing")},
	}
	abandoned := call.Call{ID: "pbx1:17.1", Queue: "pbx1:" + s("Support"), From: s("09120001122"), State: call.StateEnded, Disposition: call.Missed, EndedAt: ago(180), WaitS: call.F(162)}
	callbacks := []call.Callback{{Number: abandoned.From, Last: abandoned, Count: 2, Queues: []string{abandoned.Queue}},
		{Number: s("+420777111222"), Last: abandoned, Count: 1, TakenBy: s("Jana Dvořáková")}}
	agents := []call.Agent{
		{ID: "petr", Name: s("Petr Novák"), State: call.StateOnCall, StateSince: ago(315), Call: active.ID, Queues: []string{q.ID}},
		{ID: "sara", Name: s("Sara Karimi"), State: call.StatePaused, PauseReason: s("Lunch"), StateSince: ago(734)},
		{ID: "pbx1:994", State: call.StateAvailable, StateSince: ago(48)},
	}
	return sample{
		wb: WallboardData{Now: now, Queues: []call.Queue{q}, Total: q, Agents: agents, Calls: []call.Call{active, ringing},
			Hours:      []HourPoint{{Hour: 8, Offered: 40, Answered: 37, Abandoned: 3, SLPct: 88}, {Hour: 9, Offered: 80, Answered: 73, Abandoned: 7, SLPct: 64}},
			Thresholds: DefaultThresholds(), Callbacks: callbacks},
		ad: AgentData{Now: now, Agent: agents[0], Pops: []call.Call{ringing, ended},
			History: map[string][]call.Call{ringing.From: {abandoned}}, Recent: []call.Call{ended}, Callbacks: callbacks[:1], Voicemails: vms, PauseReasons: []string{s("Lunch"), "Training"}, MayPause: true},
		cc: ended,
		cd: CDRData{Now: now, Query: CDRQuery{Number: s("0912"), Disposition: "answered"}, Rows: []call.Call{ended, abandoned},
			Total: 120, Start: 50, Count: 50, Agents: []string{"petr", s("jana")}, Queues: []string{q.ID}, Sources: []string{"ipex", s("pbx1")}},
		set: SettingsData{
			Sources: []SourceView{{Name: s("pbx1"), Vendor: "simotel", URL: "https://r.example/hooks/" + s("pbx1"), Username: s("hook"), Password: s("secret-pw"), Token: s("tok-1"), SigningSecret: s("whsec"), APIStatus: APIOK}},
			Users:   []UserView{{Name: s("boss"), Role: RoleAdmin}},
			Agents:  []DirectoryView{{ID: "petr", Name: s("Petr Novák"), Match: []string{"ipex:" + s("petr.novak")}}},
		},
	}
}

func page(title, topic string) Page {
	return Page{Title: title, User: User{Name: "dana", Role: RoleAdmin, Agent: "petr", Pages: []string{"wallboard", "cdrs", "reports", "settings"}}, CSRF: "csrf-tok-123", Topic: topic, Now: now,
		Names: Names{"petr": "Petr Novák", "jana": "Jana Dvořáková"}}
}

// everything renders every page and fragment of a sample.
func everything(sm sample) map[string]templ.Component {
	names := NamesOf(sm.wb.Agents)
	tv := page("Wallboard", "wallboard")
	tv.TV = true
	return map[string]templ.Component{
		"login":          Login("Wrong password", "csrf-tok-123"),
		"error":          ErrorPage(page("Not found", ""), 404, "error_no_call"),
		"wallboard":      Wallboard(page("Wallboard", "wallboard"), sm.wb),
		"wallboard-tv":   Wallboard(tv, sm.wb),
		"agent":          Agent(mayAct(page("My calls", "agent")), sm.ad),
		"callcard":       CallCard(page("Call", "call:"+sm.cc.ID), sm.cc, true),
		"cdrs":           CDRs(page("Call records", "cdrs"), sm.cd),
		"settings":       Settings(page("Settings", ""), sm.set),
		"QueueTile":      QueueTile(now, sm.wb.Queues[0], sm.wb.Thresholds),
		"Summary":        Summary(sm.wb),
		"AgentRow":       AgentRow(now, sm.wb.Agents[0], &sm.wb.Calls[0]),
		"CallRow":        CallRow(now, sm.wb.Calls[0], names),
		"CallRowGone":    CallRowGone(sm.wb.Calls[0].ID),
		"ChartSVG":       ChartSVG(sm.wb.Hours, sm.wb.Thresholds),
		"CallbackList":   CallbackList(now, sm.wb.Callbacks),
		"WallboardState": WallboardState(sm.wb),
		"PopCard":        PopCard(now, sm.ad.Pops[0], sm.ad.History[sm.ad.Pops[0].From], names),
		"PopCardUpdate":  PopCardUpdate(now, sm.ad.Pops[1], nil, names),
		"AgentMe":        AgentMe(now, sm.ad.Agent),
		"AgentState":     AgentState(sm.ad, names),
		"RecentRow":      RecentRow(now, sm.cc),
		"CDRRow":         CDRRow(now, sm.cc, names),
		"CallCardBody":   CallCardBody(now, sm.cc, true, names),
	}
}

func same(s string) string { return s }

func TestPagesShowTheirFacts(t *testing.T) {
	sm := newSample(same)
	out := map[string]string{}
	for name, c := range everything(sm) {
		out[name] = render(t, c)
	}
	mustContain(t, "login", out["login"], `<form class="login-card" method="post" action="/login">`,
		`name="csrf" value="csrf-tok-123"`, `type="text" name="username"`, `type="password" name="password"`, `type="submit"`, "Wrong password")
	mustContain(t, "error", out["error"], "404", "Not found", "No such call")
	mustContain(t, "wallboard", out["wallboard"],
		`hx-ext="ws"`, `ws-connect="/ws?page=wallboard"`, `id="conn"`, // socket and its banner
		`id="queue-ipex-NOC"`, ">NOC<", ">3<", "92%", ">110<", ">10<", "00:12", "03:05", // tile: waiting, SL, answered, abandoned, ASA, AHT
		"Petr Novák", "On call", "05:15", "Lunch", "12:14", // agents: state, time in state, pause reason
		"+420603111222", "Karel Černý", "05:12", `→ <span class="cut-end" dir="auto" translate="no">Petr Novák</span>`, "01:02", // active calls: answered, and ringing at an agent (by name)
		"<svg", `class="sl-line"`, "09121234567"[:4], // chart and the abandoned list
		"×2", "Jana Dvořáková is calling back", `hx-post="/callbacks/done"`, `hx-post="/callbacks/take"`, // callers to call back
		`action="/logout"`, "TV mode")
	mustContain(t, "wallboard-tv", out["wallboard-tv"], `class="page-wallboard tv"`, `data-clock`)
	if strings.Contains(out["wallboard-tv"], `class="topbar"`) || strings.Contains(out["wallboard-tv"], "TV mode") {
		t.Error("TV mode must have no nav chrome")
	}
	mustContain(t, "agent", out["agent"], `id="pops"`, `id="pop-pbx1-1710000000_2e22"`, "09121234567", "Karel Černý", "Acme Logistics",
		"Jana Dvořáková", "no answer", // the ring chain so far
		"Previous calls from this number · 1", // history
		`<audio controls preload="none" src="/recordings/ipex:1412256225.1900/0">`,
		`action="/agent/pause"`, `action="/agent/resume"`, `name="reason"`, `<option value="Lunch"`, `data-state="on_call"`, `ws-connect="/ws?page=agent"`,
		`id="voicemail-rows"`, `<audio controls preload="none" src="/voicemails/pbx1/vm1"`, "Held by the PBX: configure [sources.api]", `mailbox <span translate="no">5555</span>`) // voicemails
	mustContain(t, "callcard", out["callcard"], "ipex:1412256225.1900", "+420225000100", "Normal Clearing", "05:02", "00:28", "05:30",
		"Call came in", "IncomingCall", "Hung up", "444", "445", // timeline and transfers
		`src="/recordings/ipex:1412256225.1900/0"`, `src="https://rec.example/a.mp3"`, "k@acme.example", "CRM-1", ">Support<", ">step1<",
		`Message from <span class="num-text" dir="ltr">09121234567</span>`, `src="/voicemails/pbx1/vm1"`) // the voicemail left on the call
	mustContain(t, "cdrs", out["cdrs"], `method="get" action="/cdrs"`, `name="number" value="0912"`, `<option value="answered" selected translate="yes">`,
		"Showing 51–52 of 120", `href="/cdrs?disposition=answered&amp;number=0912"`, // newer page keeps the filter, start 0 dropped
		`href="/cdrs.csv?disposition=answered&amp;number=0912"`, `href="/calls/ipex:1412256225.1900"`, `data-play="/recordings/ipex:1412256225.1900/0"`)
	mustContain(t, "settings", out["settings"], "https://r.example/hooks/pbx1", "secret-pw", "tok-1", "whsec", "boss", "ipex:petr.novak", "connected (ping ok)")
}

func TestCDRPagingKeepsFilter(t *testing.T) {
	d := CDRData{Now: now, Query: CDRQuery{Agent: "petr", From: "2025-03-01"}, Total: 120, Start: 50, Count: 50, Rows: make([]call.Call, 50)}
	for i := range d.Rows {
		d.Rows[i] = call.Call{ID: "x:" + string(rune('a'+i%26)), State: call.StateEnded}
	}
	out := render(t, CDRs(page("Call records", "cdrs"), d))
	mustContain(t, "cdrs", out, `href="/cdrs?agent=petr&amp;from=2025-03-01&amp;start=100"`, `href="/cdrs?agent=petr&amp;from=2025-03-01"`,
		`href="/cdrs.csv?agent=petr&amp;from=2025-03-01"`)
	// A filtered page does not follow the live feed (new rows would not belong to it).
	if strings.Contains(out, "ws-connect") {
		t.Error("filtered CDR page must not subscribe to live rows")
	}
	first := render(t, CDRs(page("Call records", "cdrs"), CDRData{Now: now}))
	mustContain(t, "cdrs first page", first, `ws-connect="/ws?page=cdrs"`, `id="cdr-rows"`, "No calls match")
}

const evil = `<img src=x onerror=alert(1)>`

// TestVendorStringsAreEscaped fills every vendor string with markup.
func TestVendorStringsAreEscaped(t *testing.T) {
	sm := newSample(func(s string) string { return s + evil })
	for name, c := range everything(sm) {
		out := render(t, c)
		if strings.Contains(out, "<img") {
			t.Errorf("%s: unescaped markup:\n%s", name, excerpt(out, "<img"))
		}
		switch name {
		case "login", "error", "CallRowGone", "ChartSVG", "Summary", "AgentMe":
			continue // they show no vendor string (AgentMe: the sample agent is not paused)
		}
		if !strings.Contains(out, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: escaped text missing", name)
		}
	}
}

func excerpt(s, at string) string {
	i := strings.Index(s, at)
	lo, hi := max(0, i-200), min(len(s), i+200)
	return s[lo:hi]
}

// TestCSPClean parses every output: no inline script, no style attribute or element,
// no event-handler attribute, and every URL-bearing attribute is ours or http(s).
func TestCSPClean(t *testing.T) {
	sm := newSample(same)
	sm.cc.Recordings = append(sm.cc.Recordings, call.Recording{URL: "data:audio/wav;base64,AAAA"}, call.Recording{URL: "//evil.example/x"})
	for name, c := range everything(sm) {
		out := render(t, c)
		for _, n := range parse(t, out) {
			walk(n, func(n *html.Node) {
				if n.Type != html.ElementNode {
					return
				}
				if n.DataAtom == atom.Style {
					t.Errorf("%s: <style> element", name)
				}
				if n.DataAtom == atom.Script && attr(n, "src") == "" {
					t.Errorf("%s: inline <script>", name)
				}
				for _, a := range n.Attr {
					k := strings.ToLower(a.Key)
					if k == "style" || strings.HasPrefix(k, "on") {
						t.Errorf("%s: <%s %s=%q>", name, n.Data, a.Key, a.Val)
					}
					if k == "src" || k == "href" || k == "action" || k == "data-play" {
						if !(strings.HasPrefix(a.Val, "/") && !strings.HasPrefix(a.Val, "//") || strings.HasPrefix(a.Val, "https://") || strings.HasPrefix(a.Val, "http://")) {
							t.Errorf("%s: <%s %s=%q> is neither ours nor http(s)", name, n.Data, a.Key, a.Val)
						}
					}
				}
			})
		}
	}
}

func TestRecordingURLs(t *testing.T) {
	for u, ok := range map[string]bool{
		"/recordings/pbx1:1.2/0": true, "https://vendor.example/r.mp3": true, "HTTP://vendor.example/r.wav": true,
		"javascript:alert(1)": false, "JavaScript:alert(1)": false, "data:audio/wav;base64,AA": false,
		"//evil.example/x": false, "recordings/x": false, "/calls/x": false, "": false, " https://x": false,
	} {
		if _, got := recURL(u); got != ok {
			t.Errorf("recURL(%q) = %v, want %v", u, got, ok)
		}
	}
	c := newSample(same).cc
	out := render(t, CallCard(page("Call", ""), c, true))
	if strings.Contains(out, "javascript:") {
		t.Error("javascript: recording rendered")
	}
	if got := strings.Count(out, "<audio"); got != 3 {
		t.Errorf("%d players, want 3 (two recordings, the javascript: one dropped, and the voicemail)", got)
	}
	hidden := render(t, CallCard(page("Call", ""), c, false))
	if strings.Contains(hidden, "<audio") || strings.Contains(hidden, "/recordings/") || strings.Contains(hidden, "/voicemails/") {
		t.Error("recordings shown to a user who may not see them")
	}
}

func TestDOMID(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"queue", "ipex:NOC"}:             "queue-ipex-NOC",
		{"call", "pbx1:1610778618.378"}:   "call-pbx1-1610778618_2e378",
		{"agent", "petr"}:                 "agent-petr",
		{"call", `a"b<c> d`}:              "call-a_22b_3cc_3e_20d",
		{"queue", "ipex:Podpora-č"}:       "queue-ipex-Podpora_2d_c4_8d",
		{"call", "cloud:f3a9-uuid_x/y#z"}: "call-cloud-f3a9_2duuid_5fx_2fy_23z",
		{"agent", ""}:                     "agent-",
	} {
		if got := DOMID(in[0], in[1]); got != want {
			t.Errorf("DOMID(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
	// Distinct ids never collide, and the result is always a plain token.
	ids := []string{"a:b", "a-b", "a_b", "a_2db", "a.b", "a_2eb", "a:b:", "a::b", "a b", "a_20b", "", ":", "-", "_"}
	seen := map[string]string{}
	safe := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	for _, id := range ids {
		d := DOMID("call", id)
		if prev, dup := seen[d]; dup {
			t.Errorf("DOMID collision: %q and %q → %q", prev, id, d)
		}
		seen[d] = id
		if !safe.MatchString(d) {
			t.Errorf("DOMID(%q) = %q has unsafe characters", id, d)
		}
	}
}

// TestFragmentsAreOOB checks that every pushed fragment is top-level elements that htmx
// swaps out of band, with the ids the full pages use.
func TestFragmentsAreOOB(t *testing.T) {
	sm := newSample(same)
	names := NamesOf(sm.wb.Agents)
	q, a, c := sm.wb.Queues[0], sm.wb.Agents[0], sm.wb.Calls[0]
	cases := []struct {
		name     string
		c        templ.Component
		swap, id string // the top element's hx-swap-oob and id
		inner    string // for prepends: the id of the inserted element
	}{
		{"QueueTile", QueueTile(now, q, sm.wb.Thresholds), "true", DOMID("queue", q.ID), ""},
		{"AgentRow", AgentRow(now, a, &c), "true", DOMID("agent", a.ID), ""},
		{"CallRow", CallRow(now, c, names), "true", DOMID("call", c.ID), ""},
		{"CallRowGone", CallRowGone(c.ID), "delete", DOMID("call", c.ID), ""},
		{"ChartSVG", ChartSVG(sm.wb.Hours, sm.wb.Thresholds), "true", "chart", ""},
		{"Summary", Summary(sm.wb), "true", "summary", ""},
		{"PopCardUpdate", PopCardUpdate(now, sm.ad.Pops[0], nil, names), "true", DOMID("pop", sm.ad.Pops[0].ID), ""},
		{"AgentMe", AgentMe(now, sm.ad.Agent), "true", "me-state", ""},
		{"CallCardBody", CallCardBody(now, sm.cc, true, names), "true", DOMID("card", sm.cc.ID), ""},
		{"PopCard", PopCard(now, sm.ad.Pops[0], nil, names), "afterbegin:#pops", "", DOMID("pop", sm.ad.Pops[0].ID)},
		{"CDRRow", CDRRow(now, sm.cc, names), "afterbegin:#cdr-rows", "", DOMID("cdr", sm.cc.ID)},
		{"RecentRow", RecentRow(now, sm.cc), "afterbegin:#recent-rows", "", DOMID("recent", sm.cc.ID)},
	}
	for _, tc := range cases {
		out := render(t, tc.c)
		top := elements(parse(t, out))
		if len(top) != 1 {
			t.Errorf("%s: %d top-level elements, want 1", tc.name, len(top))
			continue
		}
		e := top[0]
		if got := attr(e, "hx-swap-oob"); got != tc.swap {
			t.Errorf("%s: hx-swap-oob=%q, want %q", tc.name, got, tc.swap)
		}
		if got := attr(e, "id"); got != tc.id {
			t.Errorf("%s: id=%q, want %q", tc.name, got, tc.id)
		}
		if tc.inner != "" {
			kids := children(e)
			if len(kids) != 1 || attr(kids[0], "id") != tc.inner {
				t.Errorf("%s: the prepended element must carry id %q", tc.name, tc.inner)
			}
		}
	}
	// Things that may be new to the page say where to insert them.
	for name, want := range map[string]string{
		"queue": render(t, QueueTile(now, q, sm.wb.Thresholds)), "agent": render(t, AgentRow(now, a, nil)), "call": render(t, CallRow(now, c, names)),
	} {
		if !strings.Contains(want, `data-upsert="beforeend:#`+map[string]string{"queue": "queue-tiles", "agent": "agent-rows", "call": "call-rows"}[name]+`"`) {
			t.Errorf("%s fragment has no data-upsert", name)
		}
	}
	// The page renders the same ids, so the fragments find their targets.
	wb := render(t, Wallboard(page("Wallboard", "wallboard"), sm.wb))
	for _, id := range []string{DOMID("queue", q.ID), DOMID("agent", a.ID), DOMID("call", c.ID), "chart", "summary", "queue-tiles", "agent-rows", "call-rows", "callback-rows", "callback-count"} {
		mustContain(t, "wallboard ids", wb, `id="`+id+`"`)
	}
	if strings.Contains(wb, "hx-swap-oob") {
		t.Error("a full page must not carry hx-swap-oob")
	}
	// Full-state fragments replace every live region.
	st := render(t, WallboardState(sm.wb))
	for _, id := range []string{"summary", "queue-tiles", "agent-rows", "call-rows", "chart", "callback-rows", "callback-count"} {
		mustContain(t, "WallboardState", st, `id="`+id+`" `)
	}
	top := elements(parse(t, st))
	for _, e := range top {
		if attr(e, "hx-swap-oob") != "true" || attr(e, "id") == "" {
			t.Errorf("WallboardState: <%s id=%q> is not an OOB region", e.Data, attr(e, "id"))
		}
	}
	for _, e := range elements(parse(t, render(t, CallbackList(now, sm.wb.Callbacks)))) {
		if attr(e, "hx-swap-oob") != "true" || (attr(e, "id") != "callback-rows" && attr(e, "id") != "callback-count") {
			t.Errorf("CallbackList: <%s id=%q> is not one of the list's regions", e.Data, attr(e, "id"))
		}
	}
	ag := elements(parse(t, render(t, AgentState(sm.ad, names))))
	if len(ag) != 6 { // me, pops, recent calls, callers to call back and their count, voicemails
		t.Errorf("AgentState: %d regions, want 6", len(ag))
	}
	for _, e := range ag {
		if attr(e, "hx-swap-oob") != "true" {
			t.Errorf("AgentState: <%s id=%q> not OOB", e.Data, attr(e, "id"))
		}
	}
}

func TestTimersRenderTheirValueAndStart(t *testing.T) {
	sm := newSample(same)
	a := sm.wb.Agents[0] // on call for 315 s
	out := render(t, AgentRow(now, a, nil))
	mustContain(t, "AgentRow", out, `data-since="2025-03-12T14:31:57.000Z"`, ">05:15<")
	long := call.Agent{ID: "x", State: call.StateAvailable, StateSince: ago(3*3600 + 7)}
	mustContain(t, "long", render(t, AgentRow(now, long, nil)), ">3:00:07<")
	mustContain(t, "tile", render(t, QueueTile(now, sm.wb.Queues[0], Thresholds{})), `data-since="2025-03-12T14:35:57.000Z"`, ">01:15<", `data-red="120"`)
	for d, want := range map[time.Duration]string{0: "00:00", 59 * time.Second: "00:59", 61 * time.Second: "01:01", time.Hour: "1:00:00", 26 * time.Hour: "1d 2h", -time.Second: "00:00"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTileThresholds(t *testing.T) {
	base := call.Queue{ID: "q:a", Waiting: 1, LongestWaitS: 10, Today: call.Counters{Answered: 10, ServiceLevelPct: 95}}
	th := DefaultThresholds()
	cases := []struct {
		mod  func(*call.Queue)
		th   Thresholds
		want string
	}{
		{func(q *call.Queue) {}, th, "ok"},
		{func(q *call.Queue) { q.LongestWaitS = 121 }, th, "red"},
		{func(q *call.Queue) { q.LongestWaitS = 70 }, th, "amber"},
		{func(q *call.Queue) { q.LongestWaitS = 500; q.Waiting = 0 }, th, "ok"}, // nobody waiting: a stale longest wait is not an alarm
		{func(q *call.Queue) { q.Today.ServiceLevelPct = 59.9 }, th, "red"},
		{func(q *call.Queue) { q.Today.ServiceLevelPct = 75 }, th, "amber"},
		{func(q *call.Queue) { q.Today = call.Counters{} }, th, "ok"}, // no calls counted yet
		{func(q *call.Queue) { q.LongestWaitS = 40 }, Thresholds{RedWaitS: 30, RedSLPct: 50}, "red"},
		{func(q *call.Queue) { q.Today.ServiceLevelPct = 55 }, Thresholds{RedWaitS: 300, RedSLPct: 50}, "amber"},
		// [[queues]] overrides: this queue's own wait threshold, the global service level
		{func(q *call.Queue) { q.LongestWaitS = 40 }, Thresholds{RedWaitS: 120, RedSLPct: 60, PerQueue: map[string]Thresholds{"q:a": {RedWaitS: 30}}}, "red"},
		{func(q *call.Queue) { q.Today.ServiceLevelPct = 59 }, Thresholds{RedWaitS: 120, RedSLPct: 60, PerQueue: map[string]Thresholds{"q:a": {RedWaitS: 30}}}, "red"},
		{func(q *call.Queue) { q.LongestWaitS = 40 }, Thresholds{RedWaitS: 120, RedSLPct: 60, PerQueue: map[string]Thresholds{"q:b": {RedWaitS: 30}}}, "ok"},
	}
	for i, tc := range cases {
		q := base
		tc.mod(&q)
		if got := tileLevel(q, tc.th.For(q.ID)); got != tc.want {
			t.Errorf("case %d: level %q, want %q", i, got, tc.want)
		}
		if out := render(t, QueueTile(now, q, tc.th)); !strings.Contains(out, `class="tile lvl-`+tc.want+`"`) {
			t.Errorf("case %d: tile not rendered %q", i, tc.want)
		}
	}
}

func TestChart(t *testing.T) {
	day := func(busy map[int]HourPoint, now int) []HourPoint {
		var hs []HourPoint
		for h := now; h >= 0; h-- { // any order
			p := busy[h]
			p.Hour = h
			hs = append(hs, p)
		}
		return hs
	}
	en := context.Background()
	early := hourChart(en, deskChart, day(map[int]HourPoint{1: {Answered: 1, SLPct: 100}}, 14), DefaultThresholds())
	if len(early.Bars) != 14 || early.Bars[0].Label != "01" { // from the first busy hour
		t.Fatalf("busy from 01:00: %d bars from %q, want 14 from 01", len(early.Bars), early.Bars[0].Label)
	}
	busy := map[int]HourPoint{10: {Answered: 30, Abandoned: 10, SLPct: 80}, 9: {Answered: 20, SLPct: 100}}
	m := hourChart(en, deskChart, day(busy, 14), DefaultThresholds())
	if len(m.Bars) != chartMinHours { // the empty hours before 09 are dropped down to 12 slots
		t.Fatalf("%d bars, want %d", len(m.Bars), chartMinHours)
	}
	m.Bars = m.Bars[6:] // 03..08 are empty
	// Each bar carries its own hour's figures, whatever order the hours came in and
	// however many leading hours were dropped.
	if want := "10:00–11:00 · 0 offered · 30 answered · 10 abandoned · SL 80%"; m.Bars[1].Title != want || !strings.HasPrefix(m.Bars[0].Title, "09:00–10:00 · 0 offered · 20 answered") {
		t.Errorf("bars 09 and 10 read %q and %q, want %q at 10", m.Bars[0].Title, m.Bars[1].Title, want)
	}
	// 40 calls at 10:00 on a 0..40 axis: the stacked bar reaches the top of the plot.
	if top := m.Bars[1].YAb; top < deskChart.T-0.01 || top > deskChart.T+0.01 {
		t.Errorf("peak bar top at %.1f, want %.1f", top, deskChart.T)
	}
	if m.Bars[1].HAb*3 < m.Bars[1].HAns-0.01 || m.Bars[1].HAb*3 > m.Bars[1].HAns+0.01 {
		t.Errorf("abandoned height %.1f is not a third of answered %.1f", m.Bars[1].HAb, m.Bars[1].HAns)
	}
	if len(m.Dots) != 2 || m.Empty {
		t.Errorf("SL line has %d points (want 2, the hours with calls), empty=%v", len(m.Dots), m.Empty)
	}
	out := render(t, ChartSVG(day(busy, 14), DefaultThresholds()))
	mustContain(t, "chart", out, ">40<", ">100%<", "SL target 60%", "10:00–11:00 · 0 offered · 30 answered · 10 abandoned · SL 80%",
		`class="desk-only" viewBox="0 0 960 300"`, `class="tv-chart tv-only" viewBox="0 0 440 230"`, `aria-label="Calls per hour today`)
	if n := strings.Count(out, "SL target"); n != 1 {
		t.Errorf("%d target captions, want one: the TV's chart has no room for it", n)
	}
	if e := hourChart(en, tvChartBox, nil, Thresholds{}); !e.Empty || len(e.Bars) != 0 {
		t.Error("no hours must give an empty chart")
	}
	mustContain(t, "empty chart", render(t, ChartSVG(nil, Thresholds{})), "No calls yet today")
	fa := i18n.With(en, i18n.New("fa", time.UTC))
	pm := hourChart(fa, tvChartBox, day(busy, 14), DefaultThresholds())
	if pm.Ticks[len(pm.Ticks)-1].Label != "۴۰" || pm.SLTicks[4].Label != "۱۰۰٪" || pm.Bars[6].Label != "۰۹" {
		t.Errorf("Persian chart labels %q %q %q, want Persian digits", pm.Ticks[len(pm.Ticks)-1].Label, pm.SLTicks[4].Label, pm.Bars[6].Label)
	}
	for v, want := range map[int][2]int{0: {4, 4}, 7: {8, 4}, 23: {25, 5}, 123: {150, 5}, 999: {1000, 4}} {
		if top, steps := niceMax(v); top != want[0] || steps != want[1] {
			t.Errorf("niceMax(%d) = %d/%d, want %d/%d", v, top, steps, want[0], want[1])
		}
	}
}

// The nav shows the pages the server says the person may open (server/access.go).
func TestNavFollowsPages(t *testing.T) {
	for _, pages := range [][]string{{"wallboard", "cdrs", "reports", "settings"}, {"wallboard", "cdrs", "reports"}, {"cdrs", "reports"}, nil} {
		p := page("x", "")
		p.User.Pages, p.User.Agent = pages, ""
		out := render(t, ErrorPage(p, 404, ""))
		for _, nav := range []string{"wallboard", "cdrs", "settings"} {
			want := slices.Contains(pages, nav)
			if strings.Contains(out, `href="/`+nav+`"`) != want {
				t.Errorf("%v: nav %s shown=%v, want %v", pages, nav, !want, want)
			}
		}
		mustContain(t, fmt.Sprint(pages), out, `action="/logout"`, `name="csrf" value="csrf-tok-123"`)
	}
}

func TestNamesAndLinks(t *testing.T) {
	if got := (Names{"petr": "Petr"}).Of("pbx1:991"); got != "pbx1:991" {
		t.Errorf("unknown agent shown as %q", got)
	}
	if got := string(callURL("cloud:a/b c?d")); got != "/calls/cloud:a%2Fb%20c%3Fd" {
		t.Errorf("callURL = %q", got)
	}
	v := (CDRQuery{Number: "+420 6", To: "2025-03-02"}).Values()
	if v.Encode() != (url.Values{"number": {"+420 6"}, "to": {"2025-03-02"}}).Encode() {
		t.Errorf("Values = %v", v)
	}
}

// parse reads an HTML fragment in a <template> context, where table rows are allowed at the top.
func parse(t *testing.T, s string) []*html.Node {
	t.Helper()
	if strings.HasPrefix(s, "<!DOCTYPE") {
		doc, err := html.Parse(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return []*html.Node{doc}
	}
	ns, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "template", DataAtom: atom.Template})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// elements keeps the element nodes of a parsed fragment's top level.
func elements(ns []*html.Node) []*html.Node {
	var out []*html.Node
	for _, n := range ns {
		if n.Type == html.ElementNode {
			out = append(out, n)
		}
	}
	return out
}

// children lists a node's child elements.
func children(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, k string) string {
	for _, a := range n.Attr {
		if a.Key == k {
			return a.Val
		}
	}
	return ""
}

// The agent's own queues read by their configured names; a queue without one by its
// number, without the source.
func TestAgentQueuesByName(t *testing.T) {
	d := AgentData{Now: now, Agent: call.Agent{ID: "petr", Name: "Petr", Queues: []string{"pbx1:902", "pbx1:903"}},
		QueueNames: Names{"pbx1:902": "Sales"}}
	out := render(t, Agent(page("My calls", "agent"), d))
	mustContain(t, "agent", out, "Sales · 903")
	if strings.Contains(out, "pbx1:902") || strings.Contains(out, ">902") {
		t.Errorf("the queue's number shows beside its name")
	}
}

// mayAct is p for a person whose role may make the PBX act (an agent on their own page).
func mayAct(p Page) Page { p.MayAct = true; return p }
