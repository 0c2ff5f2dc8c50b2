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
