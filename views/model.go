// Package views renders Ringside's pages and the fragments pushed over the WebSocket.
//
// Pages are full documents. Fragments are top-level elements with a stable id (DOMID)
// and hx-swap-oob, so htmx's ws extension swaps each into place. Fragments for things
// that may not be on the page yet (a new queue, agent or call) also carry
// data-upsert="position:#container": web/app.js inserts them there when htmx finds no
// element to replace. Every vendor string goes through templ's escaping.
package views

import (
	"net/url"
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

// User is the signed-in person, for the nav.
type User struct {
	Name, Role, Agent string
	Pages             []string // the nav's pages they may open ("wallboard", "cdrs", "reports", "settings")
}

// Roles (User.Role).
const (
	RoleAdmin      = "admin"
	RoleSupervisor = "supervisor"
	RoleManager    = "manager"
	RoleAgent      = "agent"
)

// Page is what every full page needs.
type Page struct {
	Title string
	User  User
	CSRF  string
	TV    bool      // wall-screen mode: dark, large, no chrome
	Topic string    // the WebSocket page ("wallboard", "agent", "cdrs", "call:{id}"); empty: no socket
	Now   time.Time // render time; times are shown in its location (zero: time.Now())
	Names Names     // agent id → display name
	// MayAct: the person's role may make the PBX act (click-to-call, pause); pages hide
	// those controls from the others.
	MayAct bool
	Back   string // this page's path, where the language menu returns
	// Callers are the agents whose phone may place a click-to-call (directory agents with
	// an extension on a source with a PBX API), for the "Call from" choice.
	Callers []string
	// CatchingUp: the board is still restoring after a start; what it shows may be partial.
	CatchingUp bool
	Version    string // the running build, for the footer
}

func (p Page) now() time.Time {
	if p.Now.IsZero() {
		return time.Now()
	}
	return p.Now
}

// withNow gives the page the data's render time when it has none, so the browser's
// clock correction (body data-now) matches the timers' server-rendered text.
func withNow(p Page, now time.Time) Page {
	if p.Now.IsZero() {
		p.Now = now
	}
	return p
}

// Names maps agent ids to display names.
type Names map[string]string

// NamesOf indexes the agents' names.
func NamesOf(agents []call.Agent) Names { return call.NameIndex(agents) }

// Of returns the display name of an agent id, else the id itself.
func (n Names) Of(id string) string {
	if v := n[id]; v != "" {
		return v
	}
	return id
}

// Thresholds turn a queue tile red.
type Thresholds struct {
	RedWaitS float64 // longest wait above this
	RedSLPct float64 // service level below this
	// PerQueue overrides them for some queues (by id); zero fields keep these.
	PerQueue map[string]Thresholds
}

// For is a queue's thresholds.
func (t Thresholds) For(queue string) Thresholds {
	q, ok := t.PerQueue[queue]
	if !ok {
		return t
	}
	if q.RedWaitS <= 0 {
		q.RedWaitS = t.RedWaitS
	}
	if q.RedSLPct <= 0 {
		q.RedSLPct = t.RedSLPct
	}
	return q
}

// DefaultThresholds are issue 4's: 120 s and 60 %.
func DefaultThresholds() Thresholds { return Thresholds{RedWaitS: 120, RedSLPct: 60} }

func (t Thresholds) orDefault() Thresholds {
	d := DefaultThresholds()
	if t.RedWaitS <= 0 {
		t.RedWaitS = d.RedWaitS
	}
	if t.RedSLPct <= 0 {
		t.RedSLPct = d.RedSLPct
	}
	return t
}

// HourPoint is one hour of today for the chart.
type HourPoint struct {
	Hour                         int // 0..23, local
	Offered, Answered, Abandoned int
	SLPct                        float64
}

// WallboardData is the wallboard's live picture.
type WallboardData struct {
	Now        time.Time
	Queues     []call.Queue
	Total      call.Queue // the queues pooled (live.Pool): the summary strip's figures
	Agents     []call.Agent
	Calls      []call.Call // active
	Hours      []HourPoint
	Thresholds Thresholds
	Callbacks  []call.Callback // callers to call back, the latest abandon first
	PageS      float64         // TV: seconds each page of a list that does not fit is shown
}

// AgentData is one agent's page.
type AgentData struct {
	Now          time.Time
	Agent        call.Agent
	Pops         []call.Call            // calls ringing at / active with this agent, and the one that just ended
	History      map[string][]call.Call // previous calls, by caller number (Call.From)
	Recent       []call.Call            // own recent calls, newest first
	Callbacks    []call.Callback        // callers of the agent's queues to call back
	Voicemails   []call.Voicemail       // messages for the agent, the latest first
	QueueNames   Names                  // queue id → its configured name
	PauseReasons []string
	MayPause     bool    // the agent's PBX can be asked to pause them (a source with an API)
	EndedCardS   float64 // seconds an ended call keeps its open card (then it folds into Recent)
}

// CDRQuery is the CDR search form; field names are the query parameters.
type CDRQuery struct {
	Number, Agent, Queue, Source, Direction, Disposition string
	From, To                                             string // dates, YYYY-MM-DD
}

// Values is the query as URL parameters (empty fields left out).
func (q CDRQuery) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"number", q.Number}, {"agent", q.Agent}, {"queue", q.Queue}, {"source", q.Source},
		{"direction", q.Direction}, {"disposition", q.Disposition}, {"from", q.From}, {"to", q.To}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// Empty says whether no filter is set.
func (q CDRQuery) Empty() bool { return len(q.Values()) == 0 }

// CDRData is one page of CDR search results.
type CDRData struct {
	Now                     time.Time
	Query                   CDRQuery
	Rows                    []call.Call // newest first
	Total, Start, Count     int
	Agents, Queues, Sources []string // ids, for the form's choices
	QueueNames              Names    // queue id → its name, for the queue choice
}

// SettingsData is the admin's settings page.
type SettingsData struct {
	Sources []SourceView
	Users   []UserView
	Agents  []DirectoryView
	// ConfigFile is the file a reload re-reads ("" when the server runs on defaults);
	// ReloadAt is when the last reload was (nil before any); ReloadErr why it was
	// refused ("" when it was applied).
	ConfigFile string
	ReloadAt   *time.Time
	ReloadErr  string
	// Skipped are stored events the board could not read and skipped (newest first, the
	// latest few), SkippedTotal how many since the start.
	Skipped      []SkippedView
	SkippedTotal int
}

// SkippedView is one stored event the board skipped: its seq and why.
type SkippedView struct {
	Seq    uint64
	Reason string
}

// SourceView is one webhook source with its full URL and credentials.
type SourceView struct {
	Name, Vendor, URL, Timezone              string
	Username, Password, Token, SigningSecret string
	APIStatus                                string // Simotel API: "" (none), APIOK, or APIUnreachable
	APIError                                 string // why it is unreachable
	Clock                                    ClockSkew
}

// The Simotel API's state on the settings page.
const (
	APIOK          = "ok"
	APIUnreachable = "unreachable"
)

// ClockSkew is how far a source's times are from the clock (zero when they agree),
// and the zone that would fit them ("" when none does).
type ClockSkew struct {
	By   time.Duration // positive: ahead of the clock
	Zone string
}

// UserView is one user.
type UserView struct{ Name, Role, Agent string }

// DirectoryView is one agent directory entry.
type DirectoryView struct {
	ID, Name string
	Match    []string
}

// DOMID makes an element id from a kind ("queue", "agent", "call", "pop", "cdr") and a
// vendor id. Letters and digits stay, ':' becomes '-', every other byte becomes _XX
// (hex), so distinct ids never collide and the result is safe in ids and selectors.
func DOMID(kind, id string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(kind) + 1 + len(id)*2)
	b.WriteString(kind)
	b.WriteByte('-')
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ':':
			b.WriteByte('-')
		default:
			b.WriteByte('_')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// sortedHours returns the points ordered by hour.
func sortedHours(h []HourPoint) []HourPoint {
	out := append([]HourPoint(nil), h...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Hour < out[j].Hour })
	return out
}
