// Package simotel talks to the Simotel API ("SA"): recordings, click-to-call,
// queue pause/resume, extension names and a connection check. fake.go is a stand-in PBX that
// follows the documented contract, for tests.
package simotel

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The services Ringside calls, relative to http://<pbx>/api/v4/.
const (
	svcDownload  = "reports/audio/download"
	svcOriginate = "call/originate/act"
	svcPause     = "pbx/queues/pauseagent"
	svcResume    = "pbx/queues/resumeagent"
	svcUsers     = "pbx/users/search"
	svcAgents    = "reports/agent/search"
	svcPing      = "setting/ping/act"
)

// DefaultTimeout bounds a call until its answer's headers arrive (and JSON answers until read).
const DefaultTimeout = 10 * time.Second

// maxJSON bounds a JSON answer; a user search of a large PBX stays well below it.
const maxJSON = 8 << 20

// Config is a [sources.api] section.
type Config struct {
	URL      string // http://pbx/api/v4; a bare http://pbx gets /api/v4 appended
	Username string // HTTP Basic, sent when set
	Password string
	APIKey   string // X-APIKEY, sent when set
	Context  string // dial plan context for originate; default "main_routing"
	Timeout  time.Duration
}

// Client calls one PBX's Simotel API. It is safe for concurrent use.
type Client struct {
	cfg     Config
	hc      *http.Client
	base    string // without credentials, so it can appear in errors
	badURL  error
	timeout time.Duration
}

// New makes a client; hc nil means a default http.Client (give none with a Timeout of its own:
// it would cut long recordings; Config.Timeout bounds the wait). Credentials written into the URL
// (http://user:pass@pbx/...) are moved to Basic auth and never shown in errors.
func New(cfg Config, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	own := *hc // a copy: the caller's client keeps its own policy
	own.CheckRedirect = keepCredentialsHome(hc.CheckRedirect)
	hc = &own
	if cfg.Context == "" {
		cfg.Context = "main_routing"
	}
	c := &Client{cfg: cfg, hc: hc, timeout: cfg.Timeout}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.badURL = errors.New("simotel: [sources.api] url is not an http(s) URL like http://pbx.example/api/v4")
		return c
	}
	if u.User != nil {
		if c.cfg.Username == "" {
			c.cfg.Username = u.User.Username()
			c.cfg.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/api/v4"
	}
	u.RawQuery, u.Fragment = "", ""
	c.base = strings.TrimRight(u.String(), "/")
	return c
}

// Originate is a click-to-call: the PBX rings Caller first, then connects Callee.
type Originate struct {
	Caller    string // first party, usually the agent's extension
	Callee    string // second party: an extension or an outside number
	CallerID  string // shown to the callee; default Caller
	TrunkName string // needed when Callee is an outside number
	Timeout   int    // seconds to wait for an answer; default 30
	CallLimit int    // maximum call duration in seconds; 0 = no limit
}

// Originate asks the PBX to set up a two-way call and returns its originated_call_id, which
// the PBX's later webhooks carry. If the caller does not answer, no CDR follows.
func (c *Client) Originate(ctx context.Context, o Originate) (string, error) {
	if o.CallerID == "" {
		o.CallerID = o.Caller
	}
	if o.Timeout <= 0 {
		o.Timeout = 30
	}
	limit := ""
	if o.CallLimit > 0 {
		limit = strconv.Itoa(o.CallLimit)
	}
	// All values are strings, as in the documentation's example.
	in := map[string]string{
		"caller": o.Caller, "callee": o.Callee, "context": c.cfg.Context, "caller_id": o.CallerID,
		"trunk_name": o.TrunkName, "timeout": strconv.Itoa(o.Timeout), "call_limit": limit,
	}
	var out struct {
		ID json.RawMessage `json:"originated_call_id"`
	}
	if err := c.call(ctx, svcOriginate, in, &out); err != nil {
		return "", err
	}
	id := text(out.ID)
	if id == "" {
		return "", fmt.Errorf("simotel %s: the PBX answered success without an originated_call_id", svcOriginate)
	}
	return id, nil
}

// PauseAgent pauses an agent (extension) in a queue.
func (c *Client) PauseAgent(ctx context.Context, queue, agent string) error {
	return c.queueAgent(ctx, svcPause, queue, agent)
}

// ResumeAgent ends an agent's pause in a queue.
func (c *Client) ResumeAgent(ctx context.Context, queue, agent string) error {
	return c.queueAgent(ctx, svcResume, queue, agent)
}

func (c *Client) queueAgent(ctx context.Context, op, queue, agent string) error {
	// data is {"message":"Paused successfully","ok":1}; ok 0 would be a failure inside a success.
	var out struct {
		OK      json.RawMessage `json:"ok"`
		Message json.RawMessage `json:"message"`
	}
	if err := c.call(ctx, op, map[string]string{"queue": queue, "agent": agent}, &out); err != nil {
		return err
	}
	if ok := text(out.OK); ok == "0" || ok == "false" {
		return &Error{Status: http.StatusOK, Message: text(out.Message), Op: op}
	}
	return nil
}

// User is an extension of the PBX.
type User struct {
	ID        string `json:"_id,omitempty"`
	Name      string `json:"name"`
	Number    string `json:"number"`
	CIDNumber string `json:"cid_number,omitempty"`
	Type      string `json:"user_type,omitempty"`
	Active    string `json:"active,omitempty"`
}

// UnmarshalJSON keeps numbers sent as JSON numbers as their exact digits.
func (u *User) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*u = User{ID: text(m["_id"]), Name: text(m["name"]), Number: text(m["number"]),
		CIDNumber: text(m["cid_number"]), Type: text(m["user_type"]), Active: text(m["active"])}
	return nil
}

// SearchUsers finds extensions whose name and number contain the given text ("" matches all).
func (c *Client) SearchUsers(ctx context.Context, name, number string) ([]User, error) {
	in := map[string]any{"alike": true, "conditions": map[string]string{"name": name, "number": number}}
	var raw json.RawMessage
	if err := c.call(ctx, svcUsers, in, &raw); err != nil {
		return nil, err
	}
	// The users page shows data as the list; searches in general wrap it as {pagination, data}.
	var users []User
	if err := json.Unmarshal(raw, &users); err == nil {
		return users, nil
	}
	var page struct {
		Data []User `json:"data"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, fmt.Errorf("simotel %s: unexpected data in the answer: %w", svcUsers, err)
	}
	return page.Data, nil
}

// AgentSession is one row of reports/agent/search: an extension's activity in a queue
// (the PBX's own report of which agents work which queues).
type AgentSession struct {
	Exten string `json:"exten"`
	Queue string `json:"qnum"`
	Type  string `json:"type,omitempty"`
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// UnmarshalJSON keeps numbers sent as JSON numbers as their exact digits.
func (a *AgentSession) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*a = AgentSession{Exten: text(m["exten"]), Queue: text(m["qnum"]), Type: text(m["type"]), Start: text(m["start"]), End: text(m["end"])}
	return nil
}

// SearchAgentSessions lists the agents' queue activity between from and to, PBX local
// times as the API takes them ("2006-01-02 15:04"); up to count rows.
func (c *Client) SearchAgentSessions(ctx context.Context, from, to string, count int) ([]AgentSession, error) {
	in := map[string]any{
		"conditions": map[string]string{"from": "", "to": "", "exten": "", "queue": ""},
		"date_range": map[string]string{"from": from, "to": to},
		"pagination": map[string]any{"start": 0, "count": count, "sorting": map[string]int{}},
		"alike":      "true",
	}
	var page struct {
		Data []AgentSession `json:"data"`
	}
	if err := c.call(ctx, svcAgents, in, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// Ping checks the connection, the credentials and the permission to call the API.
func (c *Client) Ping(ctx context.Context) error {
	return c.call(ctx, svcPing, struct{}{}, nil)
}

// call POSTs in as JSON and decodes the envelope's data into out (nil: ignore data).
func (c *Client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.callRaw(ctx, http.MethodPost, op, "application/json", body, out)
}

func (c *Client) callRaw(ctx context.Context, method, op, ctype string, body []byte, out any) error {
	x, err := c.send(ctx, method, op, ctype, body, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return err
	}
	defer x.end()
	b, err := io.ReadAll(io.LimitReader(x.resp.Body, maxJSON))
	if err != nil {
		return x.fail(err)
	}
	return c.decode(op, x.resp, b, out)
}

type envelope struct {
	Success json.RawMessage `json:"success"`
	Message json.RawMessage `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// decode reads a JSON answer: a success fills out; anything else is an *Error.
func (c *Client) decode(op string, resp *http.Response, b []byte, out any) error {
	var env envelope
	jsonErr := json.Unmarshal(b, &env)
	e := &Error{Status: resp.StatusCode, Op: op}
	if jsonErr == nil {
		e.Message = c.redact(text(env.Message))
		if s := text(env.Success); s == "1" || s == "true" {
			e.Success = 1
		}
	}
	if resp.StatusCode/100 != 2 {
		return e // 404 and some proxies' errors have no envelope; the status says enough
	}
	if jsonErr != nil {
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		return fmt.Errorf("simotel %s: %s answered %q, not the Simotel API's JSON: check [sources.api] url, it should look like http://pbx.example/api/v4", op, c.where(op), mt)
	}
	if e.Success != 1 {
		return e
	}
	if out == nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("simotel %s: unexpected data in the answer: %w", op, err)
	}
	return nil
}

// errTimedOut is the cancel cause when Config.Timeout passes.
var errTimedOut = errors.New("simotel: timed out")

// exchange is one request in flight; end releases it.
type exchange struct {
	c      *Client
	op     string
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	resp   *http.Response
}

// send makes a request and waits for the answer's headers, at most the configured timeout
// (the timer keeps running until stopped, so JSON reads are bounded too).
func (c *Client) send(ctx context.Context, method, op, ctype string, body []byte, h http.Header) (*exchange, error) {
	if c.badURL != nil {
		return nil, c.badURL
	}
	x := &exchange{c: c, op: op}
	x.ctx, x.cancel = context.WithCancelCause(ctx)
	x.timer = time.AfterFunc(c.timeout, func() { x.cancel(errTimedOut) })
	req, err := http.NewRequestWithContext(x.ctx, method, c.base+"/"+op, bytes.NewReader(body))
	if err != nil {
		x.end()
		return nil, fmt.Errorf("simotel %s: %w", op, err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "Ringside")
	if c.cfg.Username != "" {
		req.Header.Set("Authorization", "Basic "+basic(c.cfg.Username, c.cfg.Password))
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("X-APIKEY", c.cfg.APIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		err = x.fail(err)
		x.end()
		return nil, err
	}
	x.resp = resp
	return x, nil
}

func (x *exchange) end() {
	x.timer.Stop()
	if x.resp != nil {
		x.resp.Body.Close()
	}
	x.cancel(nil)
}

// fail explains a transport error: the URL (never credentials) and what to check.
func (x *exchange) fail(err error) error {
	where := x.c.where(x.op)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL
	}
	var te interface{ Timeout() bool }
	cause := context.Cause(x.ctx)
	switch {
	case errors.Is(cause, errTimedOut), errors.Is(cause, context.DeadlineExceeded),
		errors.As(err, &te) && te.Timeout():
		return &unreachableError{context.DeadlineExceeded, fmt.Sprintf(
			"simotel %s: %s did not answer within %s: check [sources.api] url and that the PBX is up", x.op, where, x.c.timeout)}
	case cause != nil:
		return &unreachableError{cause, fmt.Sprintf("simotel %s: request to %s abandoned: %v", x.op, where, cause)}
	}
	return &unreachableError{nil, fmt.Sprintf("simotel %s: cannot reach %s: %s", x.op, where, x.c.redact(err.Error()))}
}

// ErrUnreachable is what every transport failure matches (errors.Is): the PBX did not
// answer. Its text names the API's address: it is for the admin's log, not for people.
var ErrUnreachable = errors.New("simotel: PBX unreachable")

type unreachableError struct {
	cause error // context.DeadlineExceeded, a cancellation cause, or nil
	msg   string
}

func (e *unreachableError) Error() string   { return e.msg }
func (e *unreachableError) Unwrap() []error { return []error{e.cause, ErrUnreachable} }

// where is the service's URL as it may be shown: it never holds credentials.
func (c *Client) where(op string) string { return c.base + "/" + op }

// redact removes secrets from text that came from elsewhere (a PBX message, a library error).
// Very short secrets are left alone: replacing them would garble the text, not protect them.
func (c *Client) redact(s string) string {
	for _, secret := range []string{c.cfg.Password, c.cfg.APIKey, basic(c.cfg.Username, c.cfg.Password)} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// text renders a JSON value as text: strings unquoted, numbers with their exact digits,
// null and absent as "".
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
