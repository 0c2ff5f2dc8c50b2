package sim

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/ingest"
	"ringside/server/ingest/ingesttest"
)

var (
	recv  = time.Date(2025, 1, 9, 9, 0, 0, 0, time.UTC)
	start = time.Date(2025, 1, 9, 8, 0, 0, 0, time.UTC)

	agentA = Agent{Ext: "991", Login: "petr.novak", Email: "petr.novak@jehofirma.cz", Name: "Petr Novák", Number: "+375290000001"}
	agentB = Agent{Ext: "992", Login: "jana.dvorakova", Email: "jana.dvorakova@jehofirma.cz", Name: "Jana Dvořáková", Number: "+375290000002"}
	agentC = Agent{Ext: "993", Login: "tomas.cerny", Email: "tomas.cerny@jehofirma.cz", Name: "Tomáš Černý", Number: "+375290000003"}
)

const s = time.Second

// testSources are the fixture sources (ingest.FixtureSources) as the simulator plays them.
func testSources() map[string]Source {
	out := map[string]Source{}
	for name, is := range ingesttest.Sources() {
		out[name] = Source{Name: name, Vendor: is.Vendor, Location: is.Location, KeyMap: is.KeyMap}
	}
	return out
}

// story returns a hand-written story of each kind, numbered by the vendor's customs.
func story(kind Kind, vendor string) Story {
	caller, did, queue := "09121234567", "02191305588", "900"
	switch vendor {
	case "voipex":
		caller, did, queue = "777888999", "222333444", "NOC"
	case "cloudcdr":
		caller, did, queue = "+447700900123", "+441614960000", "Support"
	case "sipsim":
		caller, did, queue = "+375331112233", "+375172000100", "+375172000100"
	}
	st := Story{Kind: kind, Source: "x", ID: "1736409600.101", Start: start, Caller: caller, DID: did, Queue: queue, RecordLag: s}
	switch kind {
	case QueueAnswered, RecordOnly:
		st.Chain = []Attempt{{agentA, 2 * s, 3 * s, call.OutcomeBusy}, {agentB, 3 * s, 18 * s, call.OutcomeNoAnswer}, {agentC, 19 * s, 25 * s, call.OutcomeAnswer}}
		st.Agent, st.Answered, st.Answer, st.End, st.Recorded = agentC, true, 25*s, 125*s, true
		st.Contact = &Contact{Title: "Mrs", Name: "Jane Example", Company: "Example Ltd", Email: "jane@example.com", CRMID: "0035g00000XyZ12AAB"}
		st.Tags = map[string]string{"Support": "step1", "Priority": "High"}
		if kind == RecordOnly {
			st.Of = QueueAnswered
		}
	case Missed:
		st.Chain = []Attempt{{agentA, 2 * s, 17 * s, call.OutcomeNoAnswer}, {agentB, 18 * s, 40 * s, call.OutcomeCancel}}
		st.End = 40 * s
	case AllBusy:
		st.Chain = []Attempt{{agentA, 2 * s, 3 * s, call.OutcomeBusy}, {agentB, 3 * s, 4 * s, call.OutcomeUnavailable}}
		st.End = 30 * s
	case Transfer:
		st.Chain = []Attempt{{agentC, 2 * s, 8 * s, call.OutcomeAnswer}}
		st.Agent, st.Answered, st.Answer, st.End, st.Recorded = agentC, true, 8*s, 150*s, true
		b := agentB
		st.TransferTo, st.TransferAt = &b, 60*s
	case Outbound:
		st.Queue = ""
		st.Agent, st.Answered, st.Answer, st.End, st.Recorded = agentA, true, 10*s, 70*s, true
	case AgentLogin, AgentLogout, AgentUnpause:
		st.Agent = agentA
	case AgentPause:
		st.Agent, st.PauseReason = agentA, "Oběd"
	}
	return st
}

// want is the normalized event types each vendor's decoder must produce per story kind.
var want = map[string]map[Kind][]call.Type{
	"simotel": {
		QueueAnswered: {call.CallOffered, call.LegRinging, call.AgentState, call.LegRinging, call.CallAnswered, call.AgentState, call.CallRecord, call.CallRecord},
		Missed:        {call.CallOffered, call.LegRinging, call.AgentState, call.LegRinging, call.AgentState, call.CallRecord, call.CallRecord},
		AllBusy:       {call.CallOffered, call.CallRecord, call.CallRecord},
		Transfer: {call.CallOffered, call.LegRinging, call.CallAnswered, call.CallTransferred, call.AgentState, call.CallAnswered,
			call.AgentState, call.CallRecord, call.CallRecord},
		Outbound:     {call.AgentState, call.CallOffered, call.CallAnswered, call.AgentState, call.CallRecord},
		RecordOnly:   {call.CallRecord, call.CallRecord},
		AgentLogin:   {call.AgentState},
		AgentPause:   {call.AgentPaused},
		AgentUnpause: {call.AgentState},
		AgentLogout:  {call.AgentLogout},
	},
	"voipex": {
		// a sequential queue: the agent who does not pick up gets "No user response"
		QueueAnswered: {call.CallOffered, call.LegRinging, call.LegEnded, call.LegRinging, call.CallAnswered, call.CallEnded, call.CallRecord},
		Missed:        {call.CallOffered, call.LegRinging, call.LegEnded, call.LegRinging, call.CallEnded, call.CallRecord},
		AllBusy:       {call.CallOffered, call.CallEnded, call.CallRecord},
		Transfer:      {call.CallOffered, call.LegRinging, call.CallAnswered, call.CallTransferred, call.CallEnded, call.CallRecord},
		Outbound:      {call.CallOffered, call.CallAnswered, call.CallEnded, call.CallRecord},
		RecordOnly:    {call.CallRecord},
		AgentLogin:    {call.AgentLogin},
		AgentPause:    {call.AgentPaused},
		AgentUnpause:  {call.AgentUnpaused},
		AgentLogout:   {call.AgentLogout},
	},
	"cloudcdr": {
		QueueAnswered: {call.CallRecord}, Missed: {call.CallRecord}, AllBusy: {call.CallRecord}, Transfer: {call.CallRecord},
		Outbound: {call.CallRecord}, RecordOnly: {call.CallRecord},
	},
	"sipsim": {
		QueueAnswered: {call.CallOffered, call.LegRinging, call.LegEnded, call.LegRinging, call.LegEnded, call.LegRinging, call.CallAnswered, call.CallEnded},
		Missed:        {call.CallOffered, call.LegRinging, call.LegEnded, call.LegRinging, call.LegEnded, call.CallEnded},
		AllBusy:       {call.CallOffered, call.LegRinging, call.LegEnded, call.LegRinging, call.LegEnded, call.CallEnded},
		Transfer:      {call.CallOffered, call.LegRinging, call.CallAnswered, call.CallEnded},
		Outbound:      {call.CallOffered, call.CallAnswered, call.CallEnded},
		RecordOnly:    {call.CallEnded},
	},
}

// decodeAll decodes deliveries as the server would, through their fixture text form.
func decodeAll(t *testing.T, src Source, ds []Delivery) []call.Event {
	t.Helper()
	is := ingest.Source{Name: src.Name, Vendor: src.Vendor, Location: src.Location, KeyMap: src.KeyMap}
	var evs []call.Event
	for i, d := range ds {
		raw, err := ingesttest.ParseRaw([]byte(d.String()))
		if err != nil {
			t.Fatalf("delivery %d does not parse as a fixture: %v\n%s", i, err, d)
		}
		if raw.Source() != src.Name {
			t.Fatalf("delivery %d addressed to %q, want %q", i, raw.Source(), src.Name)
		}
		req := raw.Request()
		req.ReceivedAt = recv
		res, err := ingest.Decode(is, req)
		if err != nil {
			t.Fatalf("delivery %d: %v\n%s", i, err, d)
		}
		evs = append(evs, res.Events...)
	}
	return evs
}

func types(evs []call.Event) []call.Type {
	out := make([]call.Type, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

// identity is the agent id the vendor's decoder gives an agent.
func identity(src Source, a Agent) string {
	switch src.Vendor {
	case "voipex":
		return src.Name + ":" + a.Login
	case "sipsim":
		return src.Name + ":" + a.Number
	}
	return src.Name + ":" + a.Ext
}

func TestRenderDecodesEveryVendorVariantKind(t *testing.T) {
	srcs := testSources()
	for _, name := range []string{"pbx1", "ipex", "cloud", "sipsim"} {
		base := srcs[name]
		for _, kind := range Kinds {
			st := story(kind, base.Vendor)
			var first []call.Event
			for vi, variant := range Variants(base.Vendor) {
				src := base
				src.Variant = variant
				t.Run(name+"/"+variant+"/"+string(kind), func(t *testing.T) {
					ds := Render(src, st)
					for i := 1; i < len(ds); i++ {
						if ds[i].At < ds[i-1].At {
							t.Errorf("delivery %d at %s before delivery %d at %s", i, ds[i].At, i-1, ds[i-1].At)
						}
					}
					evs := decodeAll(t, src, ds)
					if got, w := types(evs), want[base.Vendor][kind]; !slices.Equal(got, w) {
						t.Fatalf("event types\n got %v\nwant %v", got, w)
					}
					checkStory(t, src, st, evs)
					if vi == 0 {
						first = evs
					} else if !reflect.DeepEqual(evs, first) {
						t.Errorf("decodes differently from variant %s:\n got %+v\nwant %+v", Variants(base.Vendor)[0], evs, first)
					}
				})
			}
		}
	}
}

// checkStory checks the decoded events tell the story: one call id, the right agents,
// times, disposition and final facts.
func checkStory(t *testing.T, src Source, st Story, evs []call.Event) {
	t.Helper()
	callID := src.Name + ":" + st.ID
	if src.Vendor == "cloudcdr" {
		callID = src.Name + ":" + CloudCDRSessionID(src, st)
	}
	for i, e := range evs {
		if st.IsCall() && e.Call != callID && !(e.Type == call.AgentState && e.Call == "") {
			t.Errorf("event %d (%s): call %q, want %q", i, e.Type, e.Call, callID)
		}
		if !st.IsCall() && (e.Call != "" || e.Agent != identity(src, st.Agent)) {
			t.Errorf("event %d (%s): call %q agent %q, want no call and %q", i, e.Type, e.Call, e.Agent, identity(src, st.Agent))
		}
	}
	at := func(d time.Duration) time.Time { return st.Start.Add(d) }
	var rung, answered []string
	for _, e := range evs {
		switch e.Type {
		case call.LegRinging:
			rung = append(rung, e.Agent)
		case call.CallAnswered:
			answered = append(answered, e.Agent)
			if e.AnsweredAt != nil && !e.AnsweredAt.Equal(at(st.Answer)) {
				t.Errorf("answered at %s, want %s", e.AnsweredAt, at(st.Answer))
			}
		case call.CallOffered:
			if st.CallKind() != Outbound && (e.From != st.Caller || e.Direction != call.Inbound) {
				t.Errorf("offered from %q (%s), want %q inbound", e.From, e.Direction, st.Caller)
			}
			if st.CallKind() == Outbound && (e.To != st.Caller || e.Direction != call.Outbound) {
				t.Errorf("offered to %q (%s), want %q outbound", e.To, e.Direction, st.Caller)
			}
		case call.CallEnded, call.CallRecord:
			checkFinal(t, src, st, e)
		case call.CallTransferred:
			if e.TransferFrom != st.Agent.Ext || e.TransferTo != st.TransferTo.Ext {
				t.Errorf("transfer %s → %s, want %s → %s", e.TransferFrom, e.TransferTo, st.Agent.Ext, st.TransferTo.Ext)
			}
		case call.AgentPaused:
			if src.Vendor == "voipex" && e.PauseReason != st.PauseReason {
				t.Errorf("pause reason %q, want %q", e.PauseReason, st.PauseReason)
			}
		}
	}
	// The agents rung are the chain's, minus those a vendor never rings.
	var wantRung []string
	for _, a := range st.Chain {
		if st.Kind == RecordOnly || (src.Vendor != "sipsim" && (a.Outcome == call.OutcomeBusy || a.Outcome == call.OutcomeUnavailable)) {
			continue
		}
		wantRung = append(wantRung, identity(src, a.Agent))
	}
	if src.Vendor != "cloudcdr" && !slices.Equal(rung, wantRung) {
		t.Errorf("rung %v, want %v", rung, wantRung)
	}
	if st.Answered && st.Kind != RecordOnly && src.Vendor != "cloudcdr" {
		if len(answered) == 0 || answered[0] != identity(src, st.Agent) {
			t.Errorf("answered by %v, want %s first", answered, identity(src, st.Agent))
		}
	}
}

func checkFinal(t *testing.T, src Source, st Story, e call.Event) {
	t.Helper()
	disp := call.Missed
	switch {
	case st.Answered && src.Vendor == "voipex" && e.Type == call.CallEnded:
		disp = "" // its Hangup does not say; the Answered event did (the CDR names the callee)
	case st.Answered:
		disp = call.Answered
	case st.CallKind() == AllBusy && (src.Vendor == "simotel" || src.Vendor == "cloudcdr"): // BUSY, USER_BUSY
		disp = call.Busy
	}
	if e.Disposition != disp {
		t.Errorf("%s %s: disposition %q, want %q", e.Type, e.Name, e.Disposition, disp)
	}
	if src.Vendor == "voipex" {
		return // no times, durations or recordings
	}
	end := st.Start.Add(st.End)
	if e.Type == call.CallEnded {
		if !e.At.Equal(end) {
			t.Errorf("%s at %s, want %s", e.Name, e.At, end)
		}
	} else {
		if e.StartedAt == nil || !e.StartedAt.Equal(st.Start) || e.EndedAt == nil || !e.EndedAt.Equal(end) {
			t.Errorf("%s: started %v ended %v, want %s and %s", e.Name, e.StartedAt, e.EndedAt, st.Start, end)
		}
		if st.Answered && (e.AnsweredAt == nil || !e.AnsweredAt.Equal(st.Start.Add(st.Answer))) {
			t.Errorf("%s: answered %v, want %s", e.Name, e.AnsweredAt, st.Start.Add(st.Answer))
		}
		if e.TalkS == nil || *e.TalkS != st.Talk().Seconds() {
			t.Errorf("%s: talk %v, want %v", e.Name, e.TalkS, st.Talk().Seconds())
		}
	}
	if e.DurationS == nil || *e.DurationS != st.End.Seconds() {
		t.Errorf("%s: duration %v, want %v", e.Name, e.DurationS, st.End.Seconds())
	}
	if got := len(e.Recordings) > 0; got != (st.Recorded && st.Answered) {
		t.Errorf("%s: recordings %v, recorded %v", e.Name, e.Recordings, st.Recorded)
	}
	for _, r := range e.Recordings {
		switch src.Vendor {
		case "simotel":
			if want := "20250109_" + st.ID + ".mp3"; r != want {
				t.Errorf("recording %q, want %q", r, want)
			}
		case "sipsim":
			if !strings.HasPrefix(r, "https://") {
				t.Errorf("recording %q is no https URL", r)
			}
		}
	}
}

// Simotel's CdrQueue lists every agent tried; cloudcdr's record the first and last
// rung, the answerer, the CRM contact, the tags and the queue.
func TestRenderFinalRecordDetails(t *testing.T) {
	srcs := testSources()
	st := story(QueueAnswered, "simotel")
	evs := decodeAll(t, srcs["pbx1"], Render(srcs["pbx1"], st))
	q := evs[len(evs)-1]
	wantLegs := []call.Leg{{Agent: "pbx1:991", Outcome: "busy", TalkS: call.F(0)}, {Agent: "pbx1:992", Outcome: "noanswer", TalkS: call.F(0)},
		{Agent: "pbx1:993", Outcome: "answer", TalkS: call.F(100)}}
	if q.Name != "CdrQueue" || !reflect.DeepEqual(q.Legs, wantLegs) || q.Queue != "pbx1:900" || q.Agent != "pbx1:993" || *q.WaitS != 25 {
		t.Errorf("CdrQueue: %+v", q)
	}

	st = story(QueueAnswered, "cloudcdr")
	evs = decodeAll(t, srcs["cloud"], Render(srcs["cloud"], st))
	e := evs[0]
	wantLegs = []call.Leg{{Agent: "cloud:992", Name: "Jana Dvořáková", Outcome: "noanswer"},
		{Agent: "cloud:993", Name: agentC.Name, Outcome: "answer", TalkS: call.F(st.Talk().Seconds())}}
	if !reflect.DeepEqual(e.Legs, wantLegs) || e.Agent != "cloud:993" || e.AgentName != agentC.Name || e.Queue != "cloud:Support" {
		t.Errorf("cloud legs %+v agent %s %q queue %s", e.Legs, e.Agent, e.AgentName, e.Queue)
	}
	if e.Contact == nil || e.Contact.Name != "Jane Example" || e.Contact.CRMID != st.Contact.CRMID || e.Contact.Phone != st.Caller {
		t.Errorf("contact %+v", e.Contact)
	}
	if !reflect.DeepEqual(e.Tags, st.Tags) || e.DID != st.DID || e.From != st.Caller {
		t.Errorf("tags %v did %s from %s", e.Tags, e.DID, e.From)
	}
}

// A VOIPEX installation with renamed keys gets them renamed, and decodes the same.
func TestRenderVoipexKeyMap(t *testing.T) {
	srcs := testSources()
	for _, kind := range []Kind{QueueAnswered, AgentPause} {
		st := story(kind, "voipex")
		plain := decodeAll(t, srcs["ipex"], Render(srcs["ipex"], st))
		ds := Render(srcs["ipexr"], st)
		if !strings.Contains(string(ds[0].Body), `"Udalost":`) && kind == QueueAnswered {
			t.Errorf("EventName not renamed: %s", ds[0].Body)
		}
		renamed := decodeAll(t, srcs["ipexr"], ds)
		for i := range renamed {
			r, p := renamed[i], plain[i]
			if r.Type != p.Type || strings.TrimPrefix(r.Call, "ipexr:") != strings.TrimPrefix(p.Call, "ipex:") ||
				strings.TrimPrefix(r.Agent, "ipexr:") != strings.TrimPrefix(p.Agent, "ipex:") || r.From != p.From {
				t.Errorf("event %d: renamed %+v\nplain %+v", i, r, p)
			}
		}
	}
}

func TestRenderRejectsUnknownVariant(t *testing.T) {
	src := Source{Name: "pbx1", Vendor: "simotel", Variant: "g5-xml"}
	if src.Check() == nil || Render(src, story(QueueAnswered, "simotel")) != nil {
		t.Error("an unknown variant was accepted")
	}
	if (Source{Name: "x", Vendor: "asterisk"}).Check() == nil {
		t.Error("an unknown vendor was accepted")
	}
	// mix spreads stories over every variant.
	seen := map[string]bool{}
	src = Source{Name: "pbx1", Vendor: "simotel", Variant: VariantMix}
	for i := range 200 {
		st := story(AgentLogin, "simotel")
		st.ID = "1736409600." + strings.Repeat("1", i%7+1) + string(rune('0'+i%10)) + string(rune('0'+i/10%10))
		ds := Render(src, st)
		seen[ds[0].Method+" "+ds[0].Target+" "+ds[0].Header.Get("Content-Type")+" "+string(ds[0].Body[:min(8, len(ds[0].Body))])] = true
	}
	if len(seen) != len(Variants("simotel")) {
		t.Errorf("mix used %d transport shapes, want %d: %v", len(seen), len(Variants("simotel")), seen)
	}
}
