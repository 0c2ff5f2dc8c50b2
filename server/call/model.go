package call

import "time"

// Call is one call as the board knows it, and as a stored CDR once it has ended.
// JSON shapes are the API's contract (README, API); absent times are omitted, never "".
type Call struct {
	ID           string            `json:"id"`
	Source       string            `json:"source"`
	Vendor       string            `json:"vendor"`
	Direction    Direction         `json:"direction,omitempty"`
	From         string            `json:"from,omitempty"`
	To           string            `json:"to,omitempty"`
	DID          string            `json:"did,omitempty"`
	Queue        string            `json:"queue,omitempty"`
	QueueName    string            `json:"queue_name,omitempty"` // the configured [[queues]] name
	State        string            `json:"state"`                // queued|ringing|answered|ended
	Agent        string            `json:"agent,omitempty"`      // the answering agent (directory id)
	Ringing      []string          `json:"ringing,omitempty"`    // agents ringing now
	StartedAt    *time.Time        `json:"started_at,omitempty"`
	AnsweredAt   *time.Time        `json:"answered_at,omitempty"`
	EndedAt      *time.Time        `json:"ended_at,omitempty"`
	WaitS        *float64          `json:"wait_s,omitempty"`
	TalkS        *float64          `json:"talk_s,omitempty"`
	DurationS    *float64          `json:"duration_s,omitempty"`
	Disposition  Disposition       `json:"disposition,omitempty"`
	HangupReason string            `json:"hangup_reason,omitempty"`
	Recordings   []Recording       `json:"recordings,omitempty"`
	Contact      *Contact          `json:"contact,omitempty"`
	Legs         []Leg             `json:"legs,omitempty"`
	Transfers    []Transfer        `json:"transfers,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	OriginateID  string            `json:"originate_id,omitempty"`
	Rating       string            `json:"rating,omitempty"`
	Events       []Event           `json:"events,omitempty"`     // the timeline, only on GET /api/v1/calls/{id}
	Voicemails   []Voicemail       `json:"voicemails,omitempty"` // messages left on the call, on its card and GET /api/v1/calls/{id}
}

// Call states (Call.State).
const (
	StateQueued = "queued"
	// StateRinging is also an agent state; it stays an untyped constant so that it
	// can be both a Call.State and an AgentStatus.
	StateRinging  = "ringing"
	StateAnswered = "answered"
	StateEnded    = "ended"
)

// Recording is a recording: URL is always our own route /recordings/{call}/{n}; Ref is
// the vendor's reference (URL, file name or id) and never leaves the server. Held says
// why Ringside cannot play it (the PBX keeps it where Ringside cannot fetch it); URL is
// then empty.
type Recording struct {
	URL  string `json:"url,omitempty"`
	Ref  string `json:"-"`
	Held string `json:"held,omitempty"`
}

// Transfer is one transfer of a call: the parties as the vendor named them (an
// extension or a number) and, where known, who they are (agent ids, for names).
// At is left out when the vendor did not say when (a post-call record).
type Transfer struct {
	From      string    `json:"from"`
	To        string    `json:"to"`
	At        time.Time `json:"at,omitzero"`
	FromAgent string    `json:"from_agent,omitempty"`
	ToAgent   string    `json:"to_agent,omitempty"`
}

// Agent is one person (a directory entry) or an unmapped vendor identity.
type Agent struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Identities  []string    `json:"identities"`
	State       AgentStatus `json:"state"` // offline|available|ringing|on_call|paused
	PauseReason string      `json:"pause_reason,omitempty"`
	StateSince  *time.Time  `json:"state_since,omitempty"`
	Queues      []string    `json:"queues"`
	// QueueStates is the agent's state in each of its queues (the tiles count these).
	QueueStates map[string]AgentStatus `json:"queue_states"`
	Call        string                 `json:"call,omitempty"`
	// PresenceUnreported: none of the agent's PBXs sends presence (login, pause, device
	// state), so between calls nothing reports whether they are there; their state
	// comes from calls and the directory alone.
	PresenceUnreported bool `json:"presence_unreported,omitempty"`
}

// Queue is a queue's live picture and today's counters.
type Queue struct {
	ID           string              `json:"id"`
	Name         string              `json:"name"`
	Source       string              `json:"source"`
	Waiting      int                 `json:"waiting"`
	LongestWaitS float64             `json:"longest_wait_s"`
	Agents       map[AgentStatus]int `json:"agents"` // by state: available, ringing, on_call, paused
	Today        Counters            `json:"today"`
	// Unqueued marks a source's callers waiting before the PBX said which queue they are
	// in (id "source:", no name, no counters).
	Unqueued bool `json:"unqueued,omitempty"`
	// PresenceUnreported: the queue's PBX sends no presence, so its available and
	// paused counts come from calls and the directory alone.
	PresenceUnreported bool `json:"presence_unreported,omitempty"`
}

// Counters are a queue's totals for one day, defined in package live. The counts after
// the figures (sl_met, talk_n and the totals) are what they derive from, so figures over
// several queues can be pooled from counts.
type Counters struct {
	Offered         int     `json:"offered"`
	Answered        int     `json:"answered"`
	Abandoned       int     `json:"abandoned"`
	ShortAbandoned  int     `json:"short_abandoned"`
	ServiceLevelPct float64 `json:"service_level_pct"`
	ASAS            float64 `json:"asa_s"`
	AHTS            float64 `json:"aht_s"`
	SLMet           int     `json:"sl_met"`       // answered within the queue's threshold
	TalkN           int     `json:"talk_n"`       // ended answered calls with a known talk time
	WaitTotalS      float64 `json:"wait_total_s"` // answered calls' waits, summed
	TalkTotalS      float64 `json:"talk_total_s"` // their talk times, summed
}

// OtherParty is the number of the party outside the PBX: the callee of an outbound
// call, the caller otherwise. A call's history and its pop-up title are about them.
func (c Call) OtherParty() string {
	if c.Direction == Outbound {
		return c.To
	}
	return c.From
}
