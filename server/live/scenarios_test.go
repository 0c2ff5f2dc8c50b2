package live

import "ringside/server/call"

// The scenarios every convergence, snapshot and determinism test runs. Each mirrors
// what that vendor's decoder emits (server/ingest) for a real call flow.
func scenarios() []*scenario {
	return []*scenario{
		simotelQueueAnswered(), voipexRingAllMissed(), voipexTransfer(), sipsimBusyChain(),
		agentsPresence(), cloudRecordOnly(), queueCounters(), simotelTransferBack(),
	}
}

const simotelCall = "1709629200.378"

// simotelQueueAnswered: a queue call rings 991 (no answer), then 992 answers; both
// Simotel records arrive after the live NewStates.
func simotelQueueAnswered() *scenario {
	s := newScenario("simotel_queue_answered", "pbx1", "simotel")
	c, caller := simotelCall, from("09121234567")
	s.ev(0, call.CallOffered, c, name("IncomingCall"), dir(call.Inbound), caller, did("02191305588"))
	s.ev(2, call.LegRinging, c, name("NewState"), agent("991"), state(call.StateRinging), queue("902"), dir(call.Inbound), caller, to("991"))
	s.ev(17, call.AgentState, c, name("NewState"), agent("991"), state(call.StateAvailable), queue("902"))
	s.ev(17.5, call.LegRinging, c, name("NewState"), agent("992"), state(call.StateRinging), queue("902"), dir(call.Inbound), caller, to("992"))
	s.ev(21, call.CallAnswered, c, name("NewState"), agent("992"), state(call.StateOnCall), queue("902"), dir(call.Inbound), caller, to("992"))
	s.ev(116, call.AgentState, c, name("NewState"), agent("992"), state(call.StateAvailable), queue("902"))
	s.ev(116, call.CallRecord, c, name("Cdr"), caller, to("902"), did("02191305588"), dir(call.Inbound),
		disp(call.Answered), started(0), answeredAt(21), endedAt(116), dur(116), talk(95), wait(21), rec("20240305_1709629200.378.mp3"))
	s.ev(116, call.CallRecord, c, name("CdrQueue"), caller, dir(call.Inbound), queue("902"), agent("992"),
		disp(call.Answered), started(1), answeredAt(21), endedAt(116), dur(115), talk(95), wait(20), reason("caller"),
		rec("20240305_1709629200.378.mp3"), leg("991", call.OutcomeNoAnswer), leg("992", call.OutcomeAnswer, 95))
	return s
}

// simotelCDRFirst is the same call with both records delivered before any live event.
func simotelCDRFirst() *scenario {
	s := simotelQueueAnswered()
	n := len(s.events)
	s.events = append(append([]call.Event{}, s.events[n-2:]...), s.events[:n-2]...)
	return s
}

const voipexMissed = "1412256225.1941"

// voipexRingAllMissed: a ring-all queue call nobody answers ("No user response").
func voipexRingAllMissed() *scenario {
	s := newScenario("voipex_ringall_missed", "ipex", "voipex")
	c, caller, callee := voipexMissed, from("777888999"), to("222333444")
	petr := agent("petr.novak", "444", "petr.novak@jehofirma.cz")
	s.ev(0, call.CallOffered, c, name("NewCall"), caller, callee, did("222333444"), dir(call.Inbound), queue("NOC"))
	s.ev(1, call.LegRinging, c, name("Ringing"), caller, callee, queue("NOC"), petr)
	s.ev(1.2, call.LegRinging, c, name("Ringing"), caller, callee, queue("NOC"), agent("cervenka", "20"))
	s.ev(31, call.CallEnded, c, name("Hangup"), caller, callee, queue("NOC"), petr, reason("No user response"), disp(call.Missed))
	s.ev(31.1, call.CallEnded, c, name("Hangup"), caller, callee, queue("NOC"), agent("cervenka", "20"), reason("No user response"), disp(call.Missed))
	s.ev(31.5, call.CallRecord, c, name("CDR"), caller, callee, did("222333444"), dir(call.Inbound), queue("NOC"),
		agent("cervenka", "20"), reason("No user response"), disp(call.Missed))
	return s
}

const voipexXfer = "1412256300.2001"

// voipexTransfer: ring-all answered by Petr ("Answered elsewhere" for Červenka), a
// cancelled transfer attempt, then an attended transfer to Červenka, who hangs up.
func voipexTransfer() *scenario {
	s := newScenario("voipex_transfer", "ipex", "voipex")
	c, caller := voipexXfer, from("603111222")
	petr, cerv := agent("petr.novak", "444"), agent("cervenka", "20")
	s.ev(0, call.CallOffered, c, name("NewCall"), caller, to("222333444"), did("222333444"), dir(call.Inbound), queue("NOC"))
	s.ev(1, call.LegRinging, c, name("Ringing"), caller, queue("NOC"), petr)
	s.ev(1, call.LegRinging, c, name("Ringing"), caller, queue("NOC"), cerv)
	s.ev(8, call.CallAnswered, c, name("Answered"), caller, queue("NOC"), petr)
	s.ev(8, call.LegEnded, c, name("Hangup"), caller, queue("NOC"), cerv, reason("Answered elsewhere"), outcome(call.OutcomeCancel))
	s.ev(40, call.CallTransferred, c, name("AttendedTransfer"), transfer("444", "21"))
	s.ev(45, call.TransferCancelled, c, name("CancelAttendedTransfer"), transfer("444", "21"))
	s.ev(50, call.LegRinging, c, name("Ringing"), caller, queue("NOC"), cerv)
	s.ev(55, call.CallTransferred, c, name("AttendedTransfer"), transfer("444", "20"))
	s.ev(55.5, call.CallAnswered, c, name("Answered"), caller, queue("NOC"), cerv)
	s.ev(180, call.CallEnded, c, name("Hangup"), caller, queue("NOC"), cerv, reason("Normal Clearing"))
	s.ev(181, call.CallRecord, c, name("CDR"), caller, to("222333444"), did("222333444"), dir(call.Inbound), queue("NOC"), cerv, reason("Normal Clearing"))
	return s
}

const sipsimCall = "7d1f0c2a"

// sipsimBusyChain is the seed's worked example: managers 1 and 2 busy, manager 3 answers.
func sipsimBusyChain() *scenario {
	s := newScenario("sipsim_busy_chain", "sipsim", "sipsim")
	c, caller, dept := sipsimCall, from("+375291112233"), "+375172000000"
	m := func(n string) opt { return agent("+37529000000" + n) }
	s.ev(0, call.CallOffered, c, name("incoming_call_start"), dir(call.Inbound), caller, to(dept), did(dept), queue(dept), started(0))
	s.ev(1, call.LegRinging, c, name("incoming_call_start_chain_member_call"), dir(call.Inbound), caller, m("1"))
	s.ev(2, call.LegEnded, c, name("incoming_call_end_chain_member_call"), dir(call.Inbound), caller, m("1"), outcome(call.OutcomeBusy))
	s.ev(3, call.LegRinging, c, name("incoming_call_start_chain_member_call"), dir(call.Inbound), caller, m("2"))
	s.ev(4, call.LegEnded, c, name("incoming_call_end_chain_member_call"), dir(call.Inbound), caller, m("2"), outcome(call.OutcomeBusy))
	s.ev(5, call.LegRinging, c, name("incoming_call_start_chain_member_call"), dir(call.Inbound), caller, m("3"))
	s.ev(9, call.CallAnswered, c, name("incoming_call_answer"), dir(call.Inbound), caller, m("3"), answeredAt(9))
	s.ev(111, call.CallEnded, c, name("incoming_call_end"), dir(call.Inbound), caller, to(dept), did(dept), queue(dept),
		endedAt(111), disp(call.Answered), dur(102), rec("https://records.sipsim.by/7d1f0c2a.mp3"))
	return s
}

// agentsPresence: VOIPEX login/pause/unpause/logout and Simotel device states.
func agentsPresence() *scenario {
	s := newScenario("agents_presence", "ipex", "voipex")
	petr := agent("petr.novak", "444", "petr.novak@jehofirma.cz")
	janecek := agent("janecek", "163", "nejaky@email.cz")
	s.ev(0, call.AgentLogin, "", name("AgentLogin"), queue("NOC"), petr)
	s.ev(5, call.AgentLogin, "", name("AgentLogin"), queue("NOC"), janecek)
	s.ev(100, call.AgentPaused, "", name("AgentPaused"), queue("NOC"), petr, pause("Oběd"))
	s.ev(200, call.AgentPaused, "", name("AgentPaused"), queue("NOC"), janecek, pause("Oběd"))
	s.ev(1900, call.AgentUnpaused, "", name("AgentUnPaused"), queue("NOC"), petr)
	s.ev(3600, call.AgentLogout, "", name("AgentLogout"), queue("NOC"), petr)
	s.source("pbx1", "simotel")
	s.ev(0, call.AgentState, "", name("NewState"), agent("992"), state(call.StateAvailable))
	s.ev(10, call.AgentPaused, "", name("NewState"), agent("992"), state(call.StatePaused), queue("902"))
	s.ev(20, call.AgentState, "", name("NewState"), agent("992"), state(call.StateAvailable))
	s.ev(30, call.AgentLogout, "", name("NewState"), agent("993"), state(call.StateOffline))
	return s
}

const cloudCall = "b2c8a6e0"

// cloudRecordOnly: one post-call record is the whole call.
func cloudRecordOnly() *scenario {
	s := newScenario("cloud_record_only", "cloud", "cloudcdr")
	s.ev(107, call.CallRecord, cloudCall, name("CloudSessionCdr"), dir(call.Inbound), from("+420777888999"),
		to("+420222333444"), did("+420222333444"), queue("Support"), reason("NORMAL_CLEARING"),
		started(0), answeredAt(12), endedAt(107), dur(107), wait(12), talk(95), disp(call.Answered),
		agent("201"), agentName("Marie Dupont"), leg("200", call.OutcomeNoAnswer), leg("201", call.OutcomeAnswer),
		rec("rec-1", "rec-2"), contact(call.Contact{Name: "Jean Martin", Company: "ACME", CRMID: "crm-42"}),
		tags("Support", "step1"))
	return s
}

// queueCounters: queue 903's day in Tehran, built to check every counter by hand.
func queueCounters() *scenario {
	s := newScenario("queue_counters", "pbx1", "simotel")
	q := queue("903")
	answered := func(id string, start, w, t float64) {
		s.ev(start+w+t, call.CallRecord, id, name("CdrQueue"), dir(call.Inbound), q, agent("992"), disp(call.Answered),
			started(start), answeredAt(start+w), endedAt(start+w+t), wait(w), talk(t), dur(w+t))
	}
	abandoned := func(id string, start, w float64) {
		s.ev(start+w, call.CallRecord, id, name("CdrQueue"), dir(call.Inbound), q, disp(call.Missed),
			started(start), endedAt(start+w), wait(w), talk(0), dur(w))
	}
	answered("a", 0, 10, 100)  // within SL
	answered("b", 100, 30, 50) // answered late
	answered("c", 200, 15, 60) // within SL
	abandoned("d", 300, 3)     // short abandon: not in SL
	abandoned("e", 400, 40)    // abandon against SL
	// An outbound call in the queue that nobody answered is offered, not abandoned.
	s.ev(500, call.CallOffered, "f", name("OutgoingCall"), dir(call.Outbound), q, to("0912000000"))
	s.ev(530, call.CallRecord, "f", name("Cdr"), dir(call.Outbound), q, disp(call.Missed), started(500), endedAt(530), dur(30))
	// 23:30 in Tehran the day before: not today.
	answered("g", -46800, 10, 10)
	// 00:01 in Tehran today, 20:31 UTC the day before: today.
	answered("h", -44940, 5, 10)
	// Waiting now (35 s at `now`), ringing 991.
	s.ev(10765, call.CallOffered, "i", name("IncomingCall"), dir(call.Inbound), from("0935"), q)
	s.ev(10766, call.LegRinging, "i", name("NewState"), agent("991"), state(call.StateRinging), q)
	// Answered and still talking: counts its wait, not yet a talk time.
	s.ev(10000, call.CallOffered, "j", name("IncomingCall"), dir(call.Inbound), from("0936"), q)
	s.ev(10008, call.CallAnswered, "j", name("NewState"), agent("992"), state(call.StateOnCall), q)
	return s
}

// simotelTransferBack: Petr (991) transfers to Jana (992), who transfers back.
func simotelTransferBack() *scenario {
	s := newScenario("simotel_transfer_back", "pbx1", "simotel")
	c := "1709629300.401"
	s.ev(0, call.CallOffered, c, name("IncomingCall"), dir(call.Inbound), from("09351112233"))
	s.ev(1, call.LegRinging, c, name("NewState"), agent("991"), state(call.StateRinging))
	s.ev(3, call.CallAnswered, c, name("NewState"), agent("991"), state(call.StateOnCall))
	s.ev(30, call.CallTransferred, c, name("Transfer"), agent("991"), transfer("991", "992"))
	s.ev(31, call.LegRinging, c, name("NewState"), agent("992"), state(call.StateRinging))
	s.ev(35, call.CallAnswered, c, name("NewState"), agent("992"), state(call.StateOnCall))
	s.ev(36, call.AgentState, c, name("NewState"), agent("991"), state(call.StateAvailable))
	s.ev(60, call.CallTransferred, c, name("Transfer"), agent("992"), transfer("992", "991"))
	s.ev(61, call.LegRinging, c, name("NewState"), agent("991"), state(call.StateRinging))
	s.ev(64, call.CallAnswered, c, name("NewState"), agent("991"), state(call.StateOnCall))
	return s
}
