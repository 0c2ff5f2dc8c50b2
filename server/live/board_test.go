package live

import (
	"maps"
	"reflect"
	"testing"
	"time"

	"ringside/server/call"
)

func TestGolden(t *testing.T) {
	for _, s := range scenarios() {
		t.Run(s.name, func(t *testing.T) {
			b, _ := play(s.events)
			golden(t, s.name, dump(t, b, s.events))
		})
	}
}

func TestSimotelQueueAnswered(t *testing.T) {
	s := simotelQueueAnswered()
	id := "pbx1:" + simotelCall
	b := New(testConfig())

	// Live: rings Petr (991), then Jana (992) who answers.
	chs := b.Apply(s.events[0])
	if c := callOf(t, b, id); c.State != call.StateQueued || c.From != "09121234567" || c.DID != "02191305588" {
		t.Fatalf("offered call = %+v", c)
	}
	// IncomingCall names no queue (and 02191305588 is no configured entry point): the
	// caller waits in the source's "not yet in a queue" figure.
	if want := []Change{{Kind: KindCall, ID: id}, {Kind: KindQueue, ID: "pbx1:"}}; !reflect.DeepEqual(chs, want) {
		t.Errorf("offer changes = %+v", chs)
	}
	if q := queueOf(t, b, "pbx1:"); !q.Unqueued || q.Waiting != 1 || q.Name != "" || q.Source != "pbx1" {
		t.Errorf("not yet in a queue = %+v", q)
	}
	chs = b.Apply(s.events[1])
	for _, q := range b.Queues(sec(3)) {
		if q.Unqueued {
			t.Errorf("the call is in 902 now, still unqueued: %+v", q)
		}
	}
	if chs[0].Ring != "petr" {
		t.Errorf("ringing 991 should pop up at petr: %+v", chs)
	}
	if c := callOf(t, b, id); c.State != call.StateRinging || !reflect.DeepEqual(c.Ringing, []string{"petr"}) || c.Queue != "pbx1:902" {
		t.Errorf("ringing call = %+v", c)
	}
	if a := agentOf(t, b, "petr"); a.State != call.StateRinging || a.Call != id || !tval(a.StateSince).Equal(sec(2)) {
		t.Errorf("petr = %+v", a)
	}
	if q := queueOf(t, b, "pbx1:902"); q.Waiting != 1 || q.Agents[call.StateRinging] != 1 {
		t.Errorf("queue while ringing = %+v", q)
	}
	for _, e := range s.events[2:5] {
		b.Apply(e)
	}
	c := callOf(t, b, id)
	if c.State != call.StateAnswered || c.Agent != "jana" || len(c.Ringing) != 0 || num(c.WaitS) != 21 {
		t.Errorf("answered call = %+v", c)
	}
	if got := legSummary(c); !reflect.DeepEqual(got, []string{"petr=noanswer", "jana=answer"}) {
		t.Errorf("legs = %v", got)
	}
	if a := agentOf(t, b, "jana"); a.State != call.StateOnCall || a.Call != id || !tval(a.StateSince).Equal(sec(21)) {
		t.Errorf("jana = %+v", a)
	}
	if a := agentOf(t, b, "petr"); a.State != call.StateAvailable || !tval(a.StateSince).Equal(sec(17)) {
		t.Errorf("petr after his ring = %+v", a)
	}
	if q := queueOf(t, b, "pbx1:902"); q.Waiting != 0 || q.Agents[call.StateOnCall] != 1 || q.Today.Answered != 1 || q.Today.ASAS != 21 {
		t.Errorf("queue while talking = %+v", q)
	}

	// Jana's device goes idle, then the records: ended with the records' facts.
	b.Apply(s.events[5])
	chs = b.Apply(s.events[6])
	if len(chs) == 0 || chs[0].Kind != KindCall || !chs[0].Ended {
		t.Errorf("record changes = %+v", chs)
	}
	b.Apply(s.events[7])
	c = callOf(t, b, id)
	if c.State != call.StateEnded || c.Disposition != call.Answered || c.Agent != "jana" {
		t.Errorf("ended call = %+v", c)
	}
	// Whole-call record: start, end, duration, parties (To is the number dialled, not the queue dst); queue record: wait, talk, answer, legs.
	if !tval(c.StartedAt).Equal(sec(0)) || !tval(c.AnsweredAt).Equal(sec(21)) || !tval(c.EndedAt).Equal(sec(116)) ||
		num(c.WaitS) != 20 || num(c.TalkS) != 95 || num(c.DurationS) != 116 || c.HangupReason != "caller" || c.To != "02191305588" {
		t.Errorf("ended call facts = %+v", c)
	}
	if len(c.Recordings) != 1 || c.Recordings[0].URL != "/recordings/"+id+"/0" || c.Recordings[0].Ref != "20240305_1709629200.378.mp3" {
		t.Errorf("recordings = %+v", c.Recordings)
	}
	if len(c.Legs) != 2 || num(c.Legs[1].TalkS) != 95 || !tval(c.Legs[0].EndedAt).Equal(sec(17)) || !tval(c.Legs[1].EndedAt).Equal(sec(116)) {
		t.Errorf("legs = %+v", c.Legs)
	}
	if len(b.Calls()) != 0 {
		t.Errorf("active calls after the end: %+v", b.Calls())
	}
	if a := agentOf(t, b, "jana"); a.State != call.StateAvailable || !tval(a.StateSince).Equal(sec(116)) || !reflect.DeepEqual(a.Queues, []string{"pbx1:902"}) {
		t.Errorf("jana after the call = %+v", a)
	}
	q := queueOf(t, b, "pbx1:902")
	want := call.Counters{Offered: 1, Answered: 1, ServiceLevelPct: 100, ASAS: 20, AHTS: 95, SLMet: 1, TalkN: 1, WaitTotalS: 20, TalkTotalS: 95}
	if q.Today != want || q.Name != "902" || q.Source != "pbx1" {
		t.Errorf("queue = %+v, want today %+v", q, want)
	}
}

func TestCDRBeforeLiveEvents(t *testing.T) {
	first := simotelCDRFirst()
	b := New(testConfig())
	id := "pbx1:" + simotelCall
	for i, e := range first.events {
		for _, ch := range b.Apply(e) {
			if ch.Ring != "" {
				t.Errorf("event %d (%s): a late ring popped up at %s", i, e.Name, ch.Ring)
			}
			if ch.Kind == KindCall && !ch.Ended {
				t.Errorf("event %d (%s) reopened the call", i, e.Name)
			}
		}
		if c := callOf(t, b, id); c.State != call.StateEnded {
			t.Fatalf("after event %d (%s) the call is %s", i, e.Name, c.State)
		}
	}
	inOrder, _ := play(simotelQueueAnswered().events)
	if got, want := dump(t, b, first.events), dump(t, inOrder, first.events); got != want {
		t.Errorf("records first:\n%s\nin order:\n%s", got, want)
	}
}

func TestVoipexRingAllMissed(t *testing.T) {
	s := voipexRingAllMissed()
	b, _ := play(s.events)
	c := callOf(t, b, "ipex:"+voipexMissed)
	if c.State != call.StateEnded || c.Disposition != call.Missed || c.Agent != "" || c.HangupReason != "No user response" {
		t.Errorf("call = %+v", c)
	}
	if num(c.WaitS) != 31 || num(c.TalkS) != 0 || num(c.DurationS) != 31 || !tval(c.EndedAt).Equal(sec(31)) {
		t.Errorf("durations = wait %v talk %v dur %v end %v", num(c.WaitS), num(c.TalkS), num(c.DurationS), c.EndedAt)
	}
	if got := legSummary(c); !reflect.DeepEqual(got, []string{"petr=noanswer", "ipex:cervenka=noanswer"}) {
		t.Errorf("legs = %v", got)
	}
	// Aliases: Login is the identity, Line and Email map to the directory entry too. No
	// login event says Petr is in NOC: a ring is no presence, so he is offline after it.
	if a := agentOf(t, b, "petr"); a.State != call.StateOffline || a.StateSince != nil || a.QueueStates["ipex:NOC"] != call.StateOffline {
		t.Errorf("petr = %+v", a)
	}
	a := agentOf(t, b, "ipex:cervenka")
	if a.Name != "cervenka" || !reflect.DeepEqual(a.Identities, []string{"ipex:20", "ipex:cervenka"}) || !reflect.DeepEqual(a.Queues, []string{"ipex:NOC"}) {
		t.Errorf("cervenka = %+v", a)
	}
	q := queueOf(t, b, "ipex:NOC")
	if want := (call.Counters{Offered: 1, Abandoned: 1}); q.Today != want || q.Waiting != 0 {
		t.Errorf("queue = %+v", q)
	}
}

func TestVoipexTransfer(t *testing.T) {
	s := voipexTransfer()
	id := "ipex:" + voipexXfer
	b := New(testConfig())
	var ring []string
	for _, e := range s.events[:8] { // up to Červenka's second ring
		for _, ch := range b.Apply(e) {
			if ch.Ring != "" {
				ring = append(ring, ch.Ring)
			}
		}
	}
	if !reflect.DeepEqual(ring, []string{"petr", "ipex:cervenka", "ipex:cervenka"}) {
		t.Errorf("screen-pops = %v", ring)
	}
	c := callOf(t, b, id)
	if c.State != call.StateAnswered || c.Agent != "petr" || !reflect.DeepEqual(c.Ringing, []string{"ipex:cervenka"}) || len(c.Transfers) != 0 {
		t.Errorf("during the transfer = %+v", c)
	}
	if a := agentOf(t, b, "ipex:cervenka"); a.State != call.StateRinging || a.Call != id {
		t.Errorf("cervenka = %+v", a)
	}
	for _, e := range s.events[8:10] {
		b.Apply(e)
	}
	if a := agentOf(t, b, "ipex:cervenka"); a.State != call.StateOnCall || !tval(a.StateSince).Equal(sec(55.5)) {
		t.Errorf("cervenka after taking the call = %+v", a)
	}
	if a := agentOf(t, b, "petr"); a.State != call.StateOffline || a.Call != "" { // off the call; no login event says more
		t.Errorf("petr after transferring the call = %+v", a)
	}
	for _, e := range s.events[10:] {
		b.Apply(e)
	}
	c = callOf(t, b, id)
	if c.State != call.StateEnded || c.Agent != "ipex:cervenka" || !tval(c.AnsweredAt).Equal(sec(8)) || num(c.WaitS) != 8 || num(c.TalkS) != 172 {
		t.Errorf("ended = %+v", c)
	}
	if len(c.Transfers) != 1 || c.Transfers[0] != (call.Transfer{From: "444", To: "20", At: sec(55), FromAgent: "petr", ToAgent: "ipex:cervenka"}) {
		t.Errorf("transfers = %+v (the cancelled one must be gone)", c.Transfers)
	}
	if got := legSummary(c); !reflect.DeepEqual(got, []string{"ipex:cervenka=cancel", "petr=answer", "ipex:cervenka=answer"}) {
		t.Errorf("legs = %v", got)
	}
}

func TestSimotelTransferBack(t *testing.T) {
	b, _ := play(simotelTransferBack().events)
	c := callOf(t, b, "pbx1:1709629300.401")
	if c.State != call.StateAnswered || c.Agent != "petr" || len(c.Transfers) != 2 || len(c.Ringing) != 0 {
		t.Errorf("call = %+v", c)
	}
	if got := legSummary(c); !reflect.DeepEqual(got, []string{"petr=answer", "jana=answer", "petr=answer"}) {
		t.Errorf("legs = %v", got)
	}
	if !tval(c.Legs[0].EndedAt).Equal(sec(30)) || !tval(c.Legs[1].EndedAt).Equal(sec(60)) || c.Legs[2].EndedAt != nil {
		t.Errorf("leg ends = %v %v %v", c.Legs[0].EndedAt, c.Legs[1].EndedAt, c.Legs[2].EndedAt)
	}
	if a := agentOf(t, b, "petr"); a.State != call.StateOnCall || !tval(a.StateSince).Equal(sec(64)) {
		t.Errorf("petr = %+v", a)
	}
	if a := agentOf(t, b, "jana"); a.State != call.StateOffline || a.Call != "" { // transferred away, no Idle yet
		t.Errorf("jana = %+v", a)
	}
}

func TestSipsimBusyChain(t *testing.T) {
	s := sipsimBusyChain()
	b, _ := play(s.events)
	c := callOf(t, b, "sipsim:"+sipsimCall)
	if got := legSummary(c); !reflect.DeepEqual(got, []string{"sipsim:+375290000001=busy", "sipsim:+375290000002=busy", "petr=answer"}) {
		t.Errorf("legs = %v", got)
	}
	if c.Agent != "petr" || c.Queue != "sipsim:+375172000000" || num(c.WaitS) != 9 || num(c.TalkS) != 102 || num(c.DurationS) != 102 ||
		c.Recordings[0].Ref != "https://records.sipsim.by/7d1f0c2a.mp3" {
		t.Errorf("call = %+v", c)
	}
	// SipSim sends no presence: a manager between calls is not shown available (no event
	// says so, and the directory does not list them in the department).
	if a := agentOf(t, b, "sipsim:+375290000001"); a.State != call.StateOffline || a.QueueStates["sipsim:+375172000000"] != call.StateOffline {
		t.Errorf("manager 1 = %+v", a)
	}
}

func TestAgentsPresence(t *testing.T) {
	s := agentsPresence()
	b := New(testConfig())
	steps := []struct {
		after       int
		id          string
		state       call.AgentStatus
		since       float64
		pauseReason string
	}{
		{0, "petr", call.StateAvailable, 0, ""},
		{2, "petr", call.StatePaused, 100, "Oběd"},
		{4, "petr", call.StateAvailable, 1900, ""},
		{5, "petr", call.StateOffline, 3600, ""},
		{5, "ipex:janecek", call.StatePaused, 200, "Oběd"},
		{6, "jana", call.StateAvailable, 0, ""},
		{7, "jana", call.StatePaused, 10, ""},
		{8, "jana", call.StateAvailable, 20, ""},
		{9, "pbx1:993", call.StateOffline, 30, ""},
	}
	applied := 0
	for _, st := range steps {
		for ; applied <= st.after; applied++ {
			b.Apply(s.events[applied])
		}
		a := agentOf(t, b, st.id)
		if a.State != st.state || !tval(a.StateSince).Equal(sec(st.since)) || a.PauseReason != st.pauseReason {
			t.Errorf("after event %d: %s = %s since %v (%q), want %s since %v (%q)", st.after, st.id, a.State, a.StateSince, a.PauseReason, st.state, sec(st.since), st.pauseReason)
		}
	}
	j := agentOf(t, b, "ipex:janecek")
	if !reflect.DeepEqual(j.Identities, []string{"ipex:163", "ipex:janecek", "ipex:nejaky@email.cz"}) || !reflect.DeepEqual(j.Queues, []string{"ipex:NOC"}) {
		t.Errorf("janecek = %+v", j)
	}
	p := agentOf(t, b, "petr")
	if p.Name != "Petr Novák" || !contains(p.Identities, "ipex:petr.novak@jehofirma.cz") || !contains(p.Identities, "pbx1:991") {
		t.Errorf("petr = %+v", p)
	}
	// Never seen, still listed from the directory, offline.
	if n := agentOf(t, b, "nobody"); n.State != call.StateOffline || n.StateSince != nil {
		t.Errorf("nobody = %+v", n)
	}
	if q := queueOf(t, b, "ipex:NOC"); q.Agents[call.StatePaused] != 1 || q.Agents[call.StateAvailable] != 0 {
		t.Errorf("NOC agents = %+v", q.Agents)
	}
	// An older state event arriving late does not override a newer one.
	b.Apply(call.Event{Source: "ipex", Type: call.AgentLogin, Agent: "ipex:petr.novak", At: sec(50)})
	if a := agentOf(t, b, "petr"); a.State != call.StateOffline {
		t.Errorf("a late old login overrode the logout: %+v", a)
	}
}

func TestCloudRecordOnly(t *testing.T) {
	s := cloudRecordOnly()
	b, chs := play(s.events)
	id := "cloud:" + cloudCall
	if len(chs) == 0 || chs[0] != (Change{Kind: KindCall, ID: id, Ended: true}) {
		t.Errorf("changes = %+v", chs)
	}
	c := callOf(t, b, id)
	if c.State != call.StateEnded || c.Agent != "cloud:201" || c.Contact == nil || c.Contact.CRMID != "crm-42" || c.Tags["Support"] != "step1" {
		t.Errorf("call = %+v", c)
	}
	if len(c.Recordings) != 2 || c.Recordings[1].URL != "/recordings/"+id+"/1" || c.Recordings[1].Ref != "rec-2" {
		t.Errorf("recordings = %+v", c.Recordings)
	}
	if got := legSummary(c); !reflect.DeepEqual(got, []string{"cloud:200=noanswer", "cloud:201=answer"}) {
		t.Errorf("legs = %v", got)
	}
	if a := agentOf(t, b, "cloud:201"); a.Name != "Marie Dupont" || a.State != call.StateOffline {
		t.Errorf("answering agent = %+v", a)
	}
	if q := queueOf(t, b, "cloud:Support"); q.Today != (call.Counters{Offered: 1, Answered: 1, ServiceLevelPct: 100, ASAS: 12, AHTS: 95, SLMet: 1, TalkN: 1, WaitTotalS: 12, TalkTotalS: 95}) {
		t.Errorf("queue = %+v", q)
	}
}

func TestQueueCounters(t *testing.T) {
	b, _ := play(queueCounters().events)
	q := queueOf(t, b, "pbx1:903")
	// answered a b c h j (waits 10 30 15 5 8; four within 20 s), abandoned e (40 s),
	// d gave up within 5 s (short: not abandoned, not in the SL); f is outbound; g was
	// yesterday in Tehran; i is waiting. SL 4/(5+1) = 66.7 %, ASA 68/5 = 13.6 s.
	want := call.Queue{ID: "pbx1:903", Name: "903", Source: "pbx1", Waiting: 1, LongestWaitS: 35,
		Agents: map[call.AgentStatus]int{call.StateAvailable: 0, call.StateRinging: 1, call.StateOnCall: 1, call.StatePaused: 0},
		Today: call.Counters{Offered: 9, Answered: 5, Abandoned: 1, ShortAbandoned: 1, ServiceLevelPct: 66.7, ASAS: 13.6, AHTS: 55,
			SLMet: 4, TalkN: 4, WaitTotalS: 68, TalkTotalS: 220}}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("queue =\n%+v, want\n%+v", q, want)
	}
	// A name from [[queues]] replaces the one in the id.
	cfg := testConfig()
	qc := cfg.Queues["pbx1:903"]
	qc.Name = "Sales"
	cfg.Queues = maps.Clone(cfg.Queues)
	if cfg.Queues == nil {
		cfg.Queues = map[string]QueueConfig{}
	}
	cfg.Queues["pbx1:903"] = qc
	named := New(cfg)
	for _, e := range queueCounters().events {
		named.Apply(e)
	}
	if q := queueOf(t, named, "pbx1:903"); q.Name != "Sales" || q.Today != want.Today {
		t.Errorf("named queue = %+v", q)
	}
	// The day before (Tehran): only g.
	y := b.Queues(now.Add(-24 * time.Hour))
	for _, q := range y {
		if q.ID == "pbx1:903" && (q.Today.Offered != 1 || q.Today.Answered != 1 || q.Today.AHTS != 10) {
			t.Errorf("yesterday = %+v", q.Today)
		}
	}
	// A late record turning abandoned e into answered moves it between counters.
	b.Apply(call.Event{Source: "pbx1", Type: call.CallRecord, Call: "pbx1:e", Name: "CdrQueue", At: sec(441), Queue: "pbx1:903",
		Agent: "pbx1:992", Disposition: call.Answered, AnsweredAt: tp(415), WaitS: call.F(15), TalkS: call.F(26)})
	q = queueOf(t, b, "pbx1:903")
	if q.Today.Answered != 6 || q.Today.Abandoned != 0 || q.Today.ServiceLevelPct != 83.3 {
		t.Errorf("after e turned answered = %+v", q.Today)
	}
}

func TestEndedBeforeAnswered(t *testing.T) {
	// A hangup delivered before the answer (both live): the call ends answered.
	s := newScenario("ended_first", "ipex", "voipex")
	s.ev(0, call.CallOffered, "x", dir(call.Inbound), queue("NOC"))
	s.ev(2, call.LegRinging, "x", agent("petr.novak"))
	s.ev(5, call.CallAnswered, "x", agent("petr.novak"))
	s.ev(65, call.CallEnded, "x", agent("petr.novak"), reason("Normal Clearing"))
	evs := []call.Event{s.events[3], s.events[0], s.events[2], s.events[1]}
	b, _ := play(evs)
	c := callOf(t, b, "ipex:x")
	if c.State != call.StateEnded || c.Disposition != call.Answered || c.Agent != "petr" || num(c.TalkS) != 60 || num(c.WaitS) != 5 {
		t.Errorf("call = %+v", c)
	}
	if a := agentOf(t, b, "petr"); a.State != call.StateOffline || a.Call != "" {
		t.Errorf("petr = %+v", a)
	}
}

func TestDuplicatesChangeNothing(t *testing.T) {
	for _, s := range scenarios() {
		b, _ := play(s.events)
		for _, e := range s.events {
			e.Seq, e.ReceivedAt = 99, e.ReceivedAt.Add(time.Minute) // a retry: new position and receive time
			if chs := b.Apply(e); len(chs) != 0 {
				t.Errorf("%s: duplicate %s changed %+v", s.name, e.Name, chs)
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	for _, s := range scenarios() {
		b1, ch1 := play(s.events)
		b2, ch2 := play(s.events)
		if dump(t, b1, s.events) != dump(t, b2, s.events) || !reflect.DeepEqual(ch1, ch2) {
			t.Errorf("%s: two runs differ", s.name)
		}
		d1, _ := b1.Snapshot()
		d2, _ := b2.Snapshot()
		if string(d1) != string(d2) {
			t.Errorf("%s: snapshots differ", s.name)
		}
	}
}

func TestExpired(t *testing.T) {
	s := newScenario("expire", "ipex", "voipex")
	s.ev(0, call.CallOffered, "x", dir(call.Inbound), queue("NOC"))
	s.ev(3, call.LegRinging, "x", agent("petr.novak"))
	s.ev(9, call.CallAnswered, "x", agent("petr.novak"))
	b, _ := play(s.events)
	last := sec(9)
	if evs := b.Expired(last.Add(4*time.Hour - time.Millisecond)); len(evs) != 0 {
		t.Fatalf("expired too early: %+v", evs)
	}
	evs := b.Expired(last.Add(4 * time.Hour))
	if len(evs) != 1 || evs[0].Type != call.CallExpired || evs[0].Call != "ipex:x" || !tval(evs[0].EndedAt).Equal(last) || evs[0].Source != "ipex" {
		t.Fatalf("expired = %+v", evs)
	}
	chs := b.Apply(evs[0])
	if len(chs) == 0 || chs[0] != (Change{Kind: KindCall, ID: "ipex:x", Ended: true}) {
		t.Errorf("expiry changes = %+v", chs)
	}
	c := callOf(t, b, "ipex:x")
	if c.State != call.StateEnded || !tval(c.EndedAt).Equal(last) || c.Disposition != call.Answered || num(c.TalkS) != 0 || c.HangupReason == "" {
		t.Errorf("expired call = %+v", c)
	}
	if len(b.Calls()) != 0 || len(b.Expired(last.Add(10*time.Hour))) != 0 {
		t.Errorf("an expired call is still active")
	}
	if a := agentOf(t, b, "petr"); a.State == call.StateOnCall {
		t.Errorf("petr still on the expired call: %+v", a)
	}
	// A late live event does not reopen it; a late real hangup gives the real end.
	b.Apply(call.Event{Source: "ipex", Type: call.LegRinging, Call: "ipex:x", Agent: "ipex:jan", At: sec(20)})
	if c := callOf(t, b, "ipex:x"); c.State != call.StateEnded || len(c.Ringing) != 0 {
		t.Errorf("reopened: %+v", c)
	}
	b.Apply(call.Event{Source: "ipex", Type: call.CallEnded, Call: "ipex:x", Agent: "ipex:petr.novak", At: sec(70)})
	if c := callOf(t, b, "ipex:x"); !tval(c.EndedAt).Equal(sec(70)) || num(c.TalkS) != 61 {
		t.Errorf("real end after expiry: %+v", c)
	}
}

func TestRetention(t *testing.T) {
	s := cloudRecordOnly()
	b, _ := play(s.events)
	id := "cloud:" + cloudCall
	// Two days later the call is still there; a day after that it is dropped.
	tick := func(d time.Duration) {
		b.Apply(call.Event{Source: "ipex", Type: call.AgentLogin, Agent: "ipex:x", At: t0.Add(d), ReceivedAt: t0.Add(d)})
	}
	tick(47 * time.Hour)
	if _, ok := b.Call(id); !ok {
		t.Fatal("dropped too early")
	}
	tick(73 * time.Hour)
	if _, ok := b.Call(id); ok {
		t.Fatal("kept too long")
	}
	if a, ok := b.Agent("cloud:201"); !ok || a.Name != "Marie Dupont" {
		t.Errorf("agent facts must outlive the call: %+v", a)
	}
	for _, q := range b.Queues(t0) {
		if q.ID == "cloud:Support" {
			t.Errorf("queue of a dropped call still counted: %+v", q)
		}
	}
}

func TestSideEventsAloneShowNoCall(t *testing.T) {
	b := New(testConfig())
	idle := call.Event{Source: "pbx1", Type: call.AgentState, Name: "NewState", Call: "pbx1:z", Agent: "pbx1:992",
		AgentState: call.StateAvailable, Queue: "pbx1:902", At: sec(30)}
	for _, ch := range b.Apply(idle) {
		if ch.Kind == KindCall {
			t.Errorf("a device state alone announced a call: %+v", ch)
		}
	}
	if _, ok := b.Call("pbx1:z"); ok || len(b.Calls()) != 0 || len(b.Expired(sec(1e6))) != 0 {
		t.Error("a call known only from a device state is shown or expired")
	}
	if q := queueOf(t, b, "pbx1:902"); q.Today.Offered != 0 {
		t.Errorf("counted: %+v", q.Today)
	}
	chs := b.Apply(call.Event{Source: "pbx1", Type: call.CallOffered, Call: "pbx1:z", Direction: call.Inbound, At: sec(0)})
	if len(chs) == 0 || chs[0] != (Change{Kind: KindCall, ID: "pbx1:z"}) {
		t.Errorf("offer changes = %+v", chs)
	}
	if c := callOf(t, b, "pbx1:z"); c.State != call.StateQueued {
		t.Errorf("call = %+v", c)
	}
}

// BenchmarkApply: a busy day's worth of queue calls, each a ring chain, an answer, a
// device idle and two records, on one board.
func BenchmarkApply(b *testing.B) {
	var evs []call.Event
	for i := 0; i < 2000; i++ {
		s := newScenario("bench", "pbx1", "simotel")
		c := "c" + string(rune('a'+i%26)) + time.Duration(i).String()
		st := float64(i * 20)
		a1, a2 := agent("9"+string(rune('0'+i%10))), agent("8"+string(rune('0'+i%7)))
		s.ev(st, call.CallOffered, c, dir(call.Inbound), from("0912"))
		s.ev(st+1, call.LegRinging, c, a1, queue("902"))
		s.ev(st+10, call.AgentState, c, a1, state(call.StateAvailable))
		s.ev(st+11, call.LegRinging, c, a2, queue("902"))
		s.ev(st+15, call.CallAnswered, c, a2, queue("902"))
		s.ev(st+100, call.AgentState, c, a2, state(call.StateAvailable))
		s.ev(st+100, call.CallRecord, c, name("Cdr"), dir(call.Inbound), disp(call.Answered), started(st), endedAt(st+100), dur(100), talk(85), wait(15))
		s.ev(st+100, call.CallRecord, c, name("CdrQueue"), queue("902"), a2, disp(call.Answered), wait(14), talk(85), leg("9"+string(rune('0'+i%10)), call.OutcomeNoAnswer))
		evs = append(evs, s.events...)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		board := New(testConfig())
		for _, e := range evs {
			board.Apply(e)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}
