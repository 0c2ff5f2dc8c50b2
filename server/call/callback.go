package call

import "time"

// Facts people log about callers to call back (Event.Type). They are appended to the
// event log like a vendor's events, so every node and every restart agrees on them.
// Event.Call is the abandoned call the person acted on (the row they saw), Event.From
// the caller's number and Event.By who did it.
const (
	CallbackDone  Type = "callback.done"  // the caller needs no call back any more
	CallbackTaken Type = "callback.taken" // a person is calling the caller back
)

// Callback is one caller to call back: a number whose latest abandoned call has not been
// followed by an answered call with that number, nor marked done.
type Callback struct {
	Number string `json:"number"`
	// Last is the latest abandoned call from the number (without its legs or timeline).
	Last Call `json:"last"`
	// Count is how many abandoned calls the number has since it was last reached or done.
	Count int `json:"count"`
	// Queues and Agents are the queues of those calls and the agents they were offered
	// to: an agent sees a caller of one of their queues or one offered to them.
	Queues  []string   `json:"queues,omitempty"`
	Agents  []string   `json:"agents,omitempty"`
	TakenBy string     `json:"taken_by,omitempty"` // who is calling back, since TakenAt
	TakenAt *time.Time `json:"taken_at,omitempty"`
}

// VoicemailSaved is a voicemail message left at the PBX (Event.Voicemail is the vendor's
// id of the message, Event.To the mailbox, Event.From the caller, Event.Recordings its
// file name or URL; Event.Call the call it was left on, when the vendor says).
const VoicemailSaved Type = "voicemail.saved"

// Voicemail is a voicemail message as pages show it. URL is our own route
// /voicemails/{source}/{id}; Held says why Ringside cannot play it (URL is then empty).
type Voicemail struct {
	ID        string    `json:"id"` // "source:vendor id"
	Source    string    `json:"source"`
	Mailbox   string    `json:"mailbox,omitempty"`
	From      string    `json:"from,omitempty"`
	At        time.Time `json:"at"`
	DurationS *float64  `json:"duration_s,omitempty"`
	Call      string    `json:"call,omitempty"`   // the call it was left on, when known
	Queue     string    `json:"queue,omitempty"`  // that call's queue
	Agents    []string  `json:"agents,omitempty"` // whose it is: the mailbox's agent, the agents offered the call
	URL       string    `json:"url,omitempty"`
	Held      string    `json:"held,omitempty"`
	Ref       string    `json:"-"` // the vendor's file name or URL
}
