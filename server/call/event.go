// Package call is Ringside's domain vocabulary: the normalized event every vendor
// decoder produces, and the shapes the live board and the API expose. It has no
// dependencies beyond the standard library.
package call

import "time"

// Type is the normalized meaning of a vendor event.
type Type string

const (
	CallOffered       Type = "call.offered"     // a call entered (inbound) or left (outbound) the PBX
	LegRinging        Type = "leg.ringing"      // one agent is being offered the call
	LegEnded          Type = "leg.ended"        // that agent's offer ended (Outcome says how)
	CallAnswered      Type = "call.answered"    // an agent (Agent) took the call
	CallEnded         Type = "call.ended"       // live hangup of the whole call
	CallRecord        Type = "call.record"      // post-call record (CDR); richest facts about the call
	CallTransferred   Type = "call.transferred" // TransferFrom → TransferTo
	TransferCancelled Type = "call.transfer_cancelled"
	CallExpired       Type = "call.expired" // appended by Ringside when a call never received its end
	CallRated         Type = "call.rated"   // survey / rating

	AgentLogin    Type = "agent.login"
	AgentLogout   Type = "agent.logout"
	AgentPaused   Type = "agent.paused"
	AgentUnpaused Type = "agent.unpaused"
	AgentState    Type = "agent.state" // a device state (AgentState says which), e.g. Simotel NewState
	// AgentPauseNote is appended by Ringside when it asked the PBX to pause an agent for
	// PauseReason (Queue: in that queue, else all). It changes no state: the PBX's own
	// pause event does; the note gives that pause its reason.
	AgentPauseNote Type = "agent.pause_note"
	// AgentNamed is appended by Ringside when the PBX's own user list names an identity
	// (AgentName) differently from what the board shows. It changes no state.
	AgentNamed Type = "agent.named"
	// AgentMember is appended by Ringside when the PBX's API reports the agent working
	// Queue (Simotel reports/agent/search). It makes the agent a member, not present.
	AgentMember Type = "agent.member"

	Other   Type = "other"   // a known vendor event the board does not use (fax, trunk, voicemail, ...)
	Unknown Type = "unknown" // an event name we do not recognize: stored and counted, never an error
)

// AgentStatus is an agent state: what an agent is doing (Event.AgentState, Agent.State,
// Agent.QueueStates). The constants of this block and the next three are typed so that a
// direction cannot be stored as a disposition (or the like) by mistake; their wire and
// store encoding is the plain string.
type AgentStatus string

// Agent states. An agent may also be StateRinging, which is shared with the call states.
const (
	StateOffline   AgentStatus = "offline"
	StateAvailable AgentStatus = "available"
	StateOnCall    AgentStatus = "on_call"
	StatePaused    AgentStatus = "paused"
)

// Direction is which way a call goes, seen from the PBX.
type Direction string

// Directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
	Internal Direction = "internal"
)

// Disposition is how a whole call ended.
type Disposition string

// Dispositions of a whole call.
const (
	Answered Disposition = "answered"
	Missed   Disposition = "missed"
	Busy     Disposition = "busy"
	Failed   Disposition = "failed"
)

// Outcome is how one leg (one agent's offer of a call) ended.
type Outcome string

// Leg outcomes.
const (
	OutcomeAnswer      Outcome = "answer"
	OutcomeNoAnswer    Outcome = "noanswer"
	OutcomeBusy        Outcome = "busy"
	OutcomeCancel      Outcome = "cancel"
	OutcomeUnavailable Outcome = "unavailable"
	OutcomeOther       Outcome = "other"
)

// Event is one normalized fact from a vendor. Identifiers are "source:vendorid"; phone
// numbers and ids are text exactly as the vendor sent them. Optional facts are zero/nil
// when the vendor did not say them, so merging can tell "unknown" from "zero".
type Event struct {
	Seq        uint64    `json:"seq,omitempty"` // log position, set by the store
	Source     string    `json:"source"`
	Vendor     string    `json:"vendor"`
	Name       string    `json:"name"` // the vendor's event name as sent
	Type       Type      `json:"type"`
	Call       string    `json:"call,omitempty"`  // source:vendorcallid
	Agent      string    `json:"agent,omitempty"` // source:identity (extension, login or number)
	At         time.Time `json:"at"`              // vendor time, else the receive time
	ReceivedAt time.Time `json:"received_at"`

	// Other identities of the same agent carried by the event (e.g. VOIPEX Login and Line).
	AgentAliases []string `json:"agent_aliases,omitempty"`
	AgentName    string   `json:"agent_name,omitempty"`

	Direction    Direction   `json:"direction,omitempty"`
	From         string      `json:"from,omitempty"`
	To           string      `json:"to,omitempty"`
	DID          string      `json:"did,omitempty"`
	Queue        string      `json:"queue,omitempty"` // source:queuename
	AgentState   AgentStatus `json:"agent_state,omitempty"`
	PauseReason  string      `json:"pause_reason,omitempty"`
	Outcome      Outcome     `json:"outcome,omitempty"`     // leg outcome
	Disposition  Disposition `json:"disposition,omitempty"` // whole-call disposition
	HangupReason string      `json:"hangup_reason,omitempty"`
	StartedAt    *time.Time  `json:"started_at,omitempty"`
	AnsweredAt   *time.Time  `json:"answered_at,omitempty"`
	EndedAt      *time.Time  `json:"ended_at,omitempty"`
	WaitS        *float64    `json:"wait_s,omitempty"`
	TalkS        *float64    `json:"talk_s,omitempty"`
	DurationS    *float64    `json:"duration_s,omitempty"`
	// Recordings as the vendor names them: an URL (SipSim), a file name (Simotel) or an id (cloudcdr).
	Recordings   []string          `json:"recordings,omitempty"`
	Contact      *Contact          `json:"contact,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Legs         []Leg             `json:"legs,omitempty"` // per-agent attempts in a final record
	TransferFrom string            `json:"transfer_from,omitempty"`
	TransferTo   string            `json:"transfer_to,omitempty"`
	OriginateID  string            `json:"originate_id,omitempty"`
	Rating       string            `json:"rating,omitempty"`
	// Role is RoleMonitor when the event is about a supervisor listening in or barging
	// (their leg only); "" for the call's own parties.
	Role string `json:"role,omitempty"`
	// By is the person who logged a fact (callbacks).
	By string `json:"by,omitempty"`
	// Voicemail is the vendor's id of a voicemail message (VoicemailSaved).
	Voicemail string `json:"voicemail,omitempty"`
}

// Leg roles: an agent handling the call, or a supervisor monitoring it (listening,
// whispering or barging in).
const (
	RoleAgent   = "agent"
	RoleMonitor = "monitor"
)

// Contact is a CRM match for the caller.
type Contact struct {
	Name    string `json:"name,omitempty"`
	Company string `json:"company,omitempty"`
	Email   string `json:"email,omitempty"`
	CRMID   string `json:"crm_id,omitempty"`
	Phone   string `json:"phone,omitempty"`
}

// Leg is one agent's offer of a call, or a supervisor's monitoring of it.
type Leg struct {
	Agent     string     `json:"agent"`
	Role      string     `json:"role,omitempty"` // RoleAgent or RoleMonitor on the board's calls
	Name      string     `json:"name,omitempty"` // the vendor's name for the party, when it gives one
	StartedAt *time.Time `json:"started_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Outcome   Outcome    `json:"outcome,omitempty"`
	TalkS     *float64   `json:"talk_s,omitempty"`
}

// F returns a pointer to v, for the optional numeric fields.
func F(v float64) *float64 { return &v }

// T returns a pointer to t, or nil for the zero time.
func T(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// WithTimes is e with f applied to every time it carries: At, StartedAt, AnsweredAt,
// EndedAt and its legs' (nil stays nil; the legs are copied, not changed in place).
// ReceivedAt is the receiver's clock, not the event's: it is left as it is.
func (e Event) WithTimes(f func(time.Time) time.Time) Event {
	ptr := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		return T(f(*t))
	}
	e.At = f(e.At)
	e.StartedAt, e.AnsweredAt, e.EndedAt = ptr(e.StartedAt), ptr(e.AnsweredAt), ptr(e.EndedAt)
	if len(e.Legs) > 0 {
		legs := make([]Leg, len(e.Legs))
		for i, l := range e.Legs {
			l.StartedAt, l.EndedAt = ptr(l.StartedAt), ptr(l.EndedAt)
			legs[i] = l
		}
		e.Legs = legs
	}
	return e
}
