// Package sim is Ringside's traffic simulator: it scripts calls and agent actions as
// vendor-agnostic stories, renders them into each vendor's real webhook requests (every
// vendor's transport variant) and posts them to a Ringside server at a chosen rate.
// Tests, the demo mode and the benchmark use it; its output is also an independent check
// of the decoders in server/ingest.
package sim

import (
	"time"

	"ringside/server/call"
)

// Kind names what happens in a story.
type Kind string

const (
	QueueAnswered Kind = "queue-answered" // a queue call rings a chain of agents, one answers
	Missed        Kind = "missed"         // rings, nobody answers, the caller abandons
	AllBusy       Kind = "all-busy"       // every agent tried is busy (or away); the caller gives up
	Transfer      Kind = "transfer"       // answered, then transferred to another agent
	Outbound      Kind = "outbound"       // an agent calls out
	RecordOnly    Kind = "record-only"    // only the post-call record of the call Of describes
	AgentLogin    Kind = "agent-login"
	AgentPause    Kind = "agent-pause"
	AgentUnpause  Kind = "agent-unpause"
	AgentLogout   Kind = "agent-logout"
)

// Kinds lists every story kind.
var Kinds = []Kind{QueueAnswered, Missed, AllBusy, Transfer, Outbound, RecordOnly, AgentLogin, AgentPause, AgentUnpause, AgentLogout}

// Agent is one person as the vendors name them; each vendor uses the identity it knows.
type Agent struct {
	Ext    string // extension / short-dial line (Simotel exten, VOIPEX Line, cloud user number)
	Login  string // VOIPEX login
	Email  string // VOIPEX e-mail
	Name   string // display name (cloudcdr *Name fields)
	Number string // own phone number (SipSim chain member)
}

// Attempt is one agent offered the call.
type Attempt struct {
	Agent   Agent
	Start   time.Duration // offset from Story.Start when it starts ringing
	End     time.Duration // when the offer ends (for the answering agent: the answer)
	Outcome call.Outcome  // answer, noanswer, busy, unavailable, cancel
}

// Contact is a CRM match for the caller (sent by cloudcdr as directoryMatches).
type Contact struct {
	Title, Name, Company, JobTitle, Email, CRMID string
}

// Story is a vendor-agnostic script of one call or agent action. Times are offsets from
// Start; a renderer turns them into the vendor's timestamps and delivery times.
type Story struct {
	Kind   Kind
	Of     Kind      // RecordOnly: the call kind whose record is sent
	Source string    // the Source.Name it happens on
	ID     string    // the vendor call id ("1700000000.123"), unique per story
	Start  time.Time // the call entering (or leaving) the PBX; the agent action

	Caller   string    // the outside party: caller (inbound) or callee (outbound)
	DID      string    // the number dialed (inbound; the department number on SipSim)
	Queue    string    // queue name (also the agent's queue on agent actions)
	Chain    []Attempt // the agents offered the call, in order
	Agent    Agent     // who answered (inbound), dialed (outbound) or acted (agent kinds)
	Answered bool
	Answer   time.Duration // offset of the answer, when Answered
	End      time.Duration // offset of the hangup
	// RecordLag is how long after the hangup the final records (CDRs) are posted: the
	// PBX's post-processing, seconds on a cloud service.
	RecordLag time.Duration

	TransferTo *Agent        // Transfer: the agent who takes over
	TransferAt time.Duration // Transfer: when

	// Overflow is the queue the call moves to at OverflowAt when nobody in Queue took it
	// (Simotel: one CdrQueue per queue); the attempts from then on are that queue's.
	Overflow   string
	OverflowAt time.Duration

	// Monitor is a supervisor listening in or barging into the answered call from
	// MonitorAt to MonitorEnd (VOIPEX: events with Direction "barge").
	Monitor    *Agent
	MonitorAt  time.Duration
	MonitorEnd time.Duration

	Recorded bool
	Contact  *Contact
	Tags     map[string]string

	PauseReason string // AgentPause
}

// CallKind is the kind of call the story tells (Of for a RecordOnly story).
func (s Story) CallKind() Kind {
	if s.Kind == RecordOnly {
		return s.Of
	}
	return s.Kind
}

// IsCall reports whether the story is a call (not an agent action).
func (s Story) IsCall() bool {
	switch s.CallKind() {
	case QueueAnswered, Missed, AllBusy, Transfer, Outbound:
		return true
	}
	return false
}

// FinalAgent is the agent on the call when it ended (the transfer target, if any).
func (s Story) FinalAgent() Agent {
	if s.TransferTo != nil {
		return *s.TransferTo
	}
	return s.Agent
}

// QueueAt is the queue the call is in at offset d: Overflow from OverflowAt on.
func (s Story) QueueAt(d time.Duration) string {
	if s.Overflow != "" && d >= s.OverflowAt {
		return s.Overflow
	}
	return s.Queue
}

// Talk is the talk time of an answered call.
func (s Story) Talk() time.Duration {
	if !s.Answered {
		return 0
	}
	return s.End - s.Answer
}

// Wait is how long the caller waited: until the answer, or the whole call if unanswered.
func (s Story) Wait() time.Duration {
	if s.Answered {
		return s.Answer
	}
	return s.End
}

// AgentTalk is how long the answering agent talked (until the transfer, if any).
func (s Story) AgentTalk() time.Duration {
	if !s.Answered {
		return 0
	}
	if s.TransferTo != nil {
		return s.TransferAt - s.Answer
	}
	return s.End - s.Answer
}
