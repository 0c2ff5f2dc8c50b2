package simotel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FakeOptions configure a Fake PBX. Zero values give an open PBX with no files.
type FakeOptions struct {
	// Auth is which credentials are required: "basic", "apikey" or "both". "" means those
	// configured below (none configured: no check).
	Auth     string
	Username string
	Password string
	APIKey   string

	AllowIPs []string          // client IPs allowed; empty = all ("Allow All IPs")
	Denied   []string          // services the API account lacks permission for (403 ...;Access denied)
	Fail     map[string]string // service → message answered as 200 success 0 (operation failed)

	Files       map[string][]byte // recordings by file name, for reports/audio/download
	Inbox       []InboxMessage    // voicemail messages, for voicemails/inbox/search (dates as the PBX writes them)
	Location    *time.Location    // the PBX's zone, for the inbox's dates and date_range (UTC when nil)
	IgnoreRange bool              // answer downloads whole (200), like a PBX that ignores Range
	Users       []User            // for pbx/users/search
	Sessions    []AgentSession    // for reports/agent/search
	Delay       time.Duration     // wait before answering, to test timeouts

	// OnPause runs after pauseagent (paused true) or resumeagent (false) succeeded, in its own
	// goroutine, like the NewState webhook a real PBX sends next.
	OnPause func(queue, agent string, paused bool)
	// OnOriginate runs after call/originate/act succeeded, in its own goroutine.
	OnOriginate func(id string, o Originate)
}

// FakeRequest is a request the Fake received.
type FakeRequest struct {
	Method  string
	Service string // the path after /api/v4/, e.g. "call/originate/act"
	Header  http.Header
	Body    []byte
	Fields  map[string]any // the JSON body's fields, when it was a JSON object
	Status  int            // the HTTP status answered; 0 if the client left before the answer
}

// Field is a body field as text ("" when absent).
func (r FakeRequest) Field(name string) string { return fieldText(r.Fields[name]) }

// Fake is a Simotel PBX's API as documented by Simotel (its API reference and error table), served on
// /api/v4/<service>. It is an http.Handler; Start serves it on loopback.
type Fake struct {
	opt  FakeOptions
	mu   sync.Mutex
	reqs []FakeRequest
	n    int // originate counter
	srv  *http.Server
	url  string
}

// fakeService is what the Fake knows of a service: its methods, and its required fields in the
// order the PBX reports them missing. The docs show both POST and PUT (v3 used PUT).
type fakeService struct{ methods, fields []string }

var (
	writeMethods = []string{"POST", "PUT"}
	queueAgent   = fakeService{writeMethods, []string{"queue", "agent"}}
	fakeServices = map[string]fakeService{
		svcDownload:              {writeMethods, []string{"file"}},
		svcOriginate:             {writeMethods, []string{"caller", "callee", "context", "caller_id"}},
		svcPause:                 queueAgent,
		svcResume:                queueAgent,
		"pbx/queues/addagent":    queueAgent,
		"pbx/queues/removeagent": queueAgent,
		svcUsers:                 {writeMethods, []string{"alike"}},
		svcAgents:                {writeMethods, []string{"date_range", "alike"}},
		svcPing:                  {[]string{"GET", "POST", "PUT"}, nil},
		svcInbox:                 {writeMethods, nil},
	}
)

// NewFake makes a Fake; see Start, or use it as an http.Handler.
func NewFake(opt FakeOptions) *Fake {
	files := make(map[string][]byte, len(opt.Files))
	for k, v := range opt.Files {
		files[k] = v
	}
	opt.Files = files
	return &Fake{opt: opt}
}

// Start serves the Fake on 127.0.0.1 (a free port) and returns its API base URL,
// http://127.0.0.1:port/api/v4, ready for Config.URL. It panics if it cannot listen.
func (f *Fake) Start() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("simotel fake: " + err.Error())
	}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	f.url = "http://" + ln.Addr().String() + "/api/v4"
	return f.url
}

// URL is the base URL Start returned.
func (f *Fake) URL() string { return f.url }

// Close stops serving and drops open connections.
func (f *Fake) Close() {
	if f.srv != nil {
		f.srv.Close()
	}
}

// SetFile adds or replaces a recording.
func (f *Fake) SetFile(name string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opt.Files[name] = data
}

// Requests returns the requests received so far, oldest first.
func (f *Fake) Requests() []FakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// recorder records the request when its status is known, before the answer leaves, so a
// client that got its answer always finds its request in Requests.
type recorder struct {
	http.ResponseWriter
	f    *Fake
	req  FakeRequest
	done bool
}

func (w *recorder) record(status int) {
	if w.done {
		return
	}
	w.done = true
	w.req.Status = status
	w.f.mu.Lock()
	w.f.reqs = append(w.f.reqs, w.req)
	w.f.mu.Unlock()
}

func (w *recorder) WriteHeader(code int) {
	w.record(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (f *Fake) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	svc, under := strings.CutPrefix(r.URL.Path, "/api/v4/")
	svc = strings.Trim(svc, "/")
	w := &recorder{ResponseWriter: rw, f: f, req: FakeRequest{Method: r.Method, Service: svc, Header: r.Header.Clone(), Body: body}}
	if f.opt.Delay > 0 {
		select {
		case <-time.After(f.opt.Delay):
		case <-r.Context().Done():
			w.record(0) // the client gave up: no answer
			return
		}
	}
	if !under {
		http.Error(w, "Not Found", http.StatusNotFound) // Apache's 404: no envelope
		return
	}
	if ip, _, _ := net.SplitHostPort(r.RemoteAddr); len(f.opt.AllowIPs) > 0 && !slices.Contains(f.opt.AllowIPs, ip) {
		f.reply(w, http.StatusForbidden, 0, "IP is not permitted", nil)
		return
	}
	if msg := f.authProblem(r); msg != "" {
		f.reply(w, http.StatusUnauthorized, 0, msg, nil)
		return
	}
	spec, ok := fakeServices[svc]
	if !ok {
		f.reply(w, http.StatusNotImplemented, 0, "Requested service dose not exist", nil) // sic
		return
	}
	if !slices.Contains(spec.methods, r.Method) {
		w.Header().Set("Allow", strings.Join(spec.methods, ", "))
		f.reply(w, http.StatusMethodNotAllowed, 0, "Method not allowed", nil)
		return
	}
	if slices.Contains(f.opt.Denied, svc) {
		f.reply(w, http.StatusForbidden, 0, fmt.Sprintf("%q;Access denied", "/"+svc), nil)
		return
	}
	in := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			f.reply(w, http.StatusUnsupportedMediaType, 0, "Unsupported Media Type", nil)
			return
		}
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber() // numbers keep their digits
		if err := d.Decode(&in); err != nil || in == nil {
			f.reply(w, http.StatusBadRequest, 0, "Unable to parse content", nil)
			return
		}
		w.req.Fields = in
	}
	for _, name := range spec.fields {
		if fieldText(in[name]) == "" {
			f.reply(w, http.StatusOK, 0, fmt.Sprintf("Field '%s':value is missing", name), nil)
			return
		}
	}
	if msg, ok := f.opt.Fail[svc]; ok {
		f.reply(w, http.StatusOK, 0, msg, nil)
		return
	}
	f.serve(w, r, svc, in)
}

// serve answers a well-formed, permitted request.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request, svc string, in map[string]any) {
	field := func(name string) string { return fieldText(in[name]) }
	switch svc {
	case svcDownload:
		f.download(w, r, field("file"))
	case svcOriginate:
		f.mu.Lock()
		f.n++
		id := fmt.Sprintf("orig.call.%d.%d", time.Now().Unix(), f.n)
		f.mu.Unlock()
		f.reply(w, http.StatusOK, 1, nil, map[string]string{"originated_call_id": id})
		if hook := f.opt.OnOriginate; hook != nil {
			timeout, _ := strconv.Atoi(field("timeout"))
			limit, _ := strconv.Atoi(field("call_limit"))
			go hook(id, Originate{Caller: field("caller"), Callee: field("callee"), CallerID: field("caller_id"),
				TrunkName: field("trunk_name"), Timeout: timeout, CallLimit: limit})
		}
	case svcPause, svcResume:
		paused := svc == svcPause
		msg := "Resumed successfully"
		if paused {
			msg = "Paused successfully"
		}
		f.reply(w, http.StatusOK, 1, "", map[string]any{"message": msg, "ok": 1})
		if hook := f.opt.OnPause; hook != nil {
			go hook(field("queue"), field("agent"), paused)
		}
	case "pbx/queues/addagent", "pbx/queues/removeagent":
		f.reply(w, http.StatusOK, 1, "", map[string]any{"message": "Done successfully", "ok": 1})
	case svcUsers:
		f.reply(w, http.StatusOK, 1, "", f.searchUsers(in))
	case svcAgents:
		rows := f.searchSessions(in)
		f.reply(w, http.StatusOK, 1, "", map[string]any{"pagination": map[string]any{"start": 0, "count": len(rows),
			"sorting": map[string]int{"end": -1}, "total": len(rows)}, "target": "agent", "useGroupBy": false, "data": rows})
	case svcPing:
		f.reply(w, http.StatusOK, 1, "If the 'Ping' event is enabled in the settings menu, you'll receive it when it's sent", nil)
	case svcInbox:
		f.reply(w, http.StatusOK, 1, "", f.searchInbox(in))
	}
}

// download serves a file with Range support, or 404 without an envelope as the docs say.
func (f *Fake) download(w http.ResponseWriter, r *http.Request, name string) {
	f.mu.Lock()
	data, ok := f.opt.Files[name]
	f.mu.Unlock()
	if !ok {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	t, ok := audioTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		t = "application/octet-stream"
	}
	w.Header().Set("Content-Type", t)
	if f.opt.IgnoreRange {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data)
		return
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func (f *Fake) searchUsers(in map[string]any) []User {
	alike := fieldText(in["alike"])
	cond, _ := in["conditions"].(map[string]any)
	match := func(have, want string) bool {
		if alike == "true" || alike == "1" {
			return strings.Contains(strings.ToLower(have), strings.ToLower(want))
		}
		return want == "" || have == want
	}
	out := []User{}
	for _, u := range f.opt.Users {
		if match(u.Name, fieldText(cond["name"])) && match(u.Number, fieldText(cond["number"])) {
			out = append(out, u)
		}
	}
	return out
}

// searchSessions answers reports/agent/search from Sessions, filtered by the
// conditions' exten and queue (alike: contains).
func (f *Fake) searchSessions(in map[string]any) []AgentSession {
	cond, _ := in["conditions"].(map[string]any)
	out := []AgentSession{}
	for _, s := range f.opt.Sessions {
		if strings.Contains(s.Exten, fieldText(cond["exten"])) && strings.Contains(s.Queue, fieldText(cond["queue"])) {
			out = append(out, s)
		}
	}
	return out
}

// authProblem is the 401 message for r, or "" when its credentials are good.
func (f *Fake) authProblem(r *http.Request) string {
	mode := f.opt.Auth
	if mode == "" {
		switch {
		case f.opt.Username != "" && f.opt.APIKey != "":
			mode = "both"
		case f.opt.Username != "":
			mode = "basic"
		case f.opt.APIKey != "":
			mode = "apikey"
		}
	}
	user, pass, hasBasic := r.BasicAuth()
	key := r.Header.Get("X-APIKEY")
	basicOK := hasBasic && user == f.opt.Username && pass == f.opt.Password
	keyOK := key != "" && key == f.opt.APIKey
	const missing, invalid = "BasicAuth or ApiKey is missing", "BasicAuth or ApiKey is invalid"
	switch mode {
	case "basic":
		if !hasBasic {
			return missing
		}
		if !basicOK {
			return invalid
		}
	case "apikey":
		if key == "" {
			return missing
		}
		if !keyOK {
			return invalid
		}
	case "both":
		if !hasBasic && key == "" {
			return missing
		}
		if !basicOK || !keyOK { // one of the two missing is "incomplete", hence invalid
			return invalid
		}
	}
	return ""
}

// reply writes the envelope {"success","message","data"}; a nil message is JSON null, as in
// the originate example.
func (f *Fake) reply(w http.ResponseWriter, status, success int, message, data any) {
	b, _ := json.Marshal(map[string]any{"success": success, "message": message, "data": data})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// fieldText renders a decoded JSON value as text (numbers with their digits).
func fieldText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// searchInbox answers voicemails/inbox/search: messages of the mailbox (conditions.number,
// a substring when alike) saved within date_range, by date, one page of them.
func (f *Fake) searchInbox(in map[string]any) map[string]any {
	loc := f.opt.Location
	if loc == nil {
		loc = time.UTC
	}
	cond, _ := in["conditions"].(map[string]any)
	mailbox := fieldText(cond["number"])
	alike := fieldText(in["alike"]) == "true" || fieldText(in["alike"]) == "1"
	rng, _ := in["date_range"].(map[string]any)
	bound := func(k string) (time.Time, bool) {
		t, err := time.ParseInLocation("2006-01-02 15:04", fieldText(rng[k]), loc)
		return t, err == nil
	}
	from, hasFrom := bound("from")
	to, hasTo := bound("to")
	type dated struct {
		m  InboxMessage
		at time.Time
	}
	var hits []dated
	f.mu.Lock()
	for _, m := range f.opt.Inbox {
		at, err := ParseInboxDate(m.Date, loc)
		switch {
		case err != nil:
		case mailbox != "" && !alike && m.Mailbox != mailbox:
		case mailbox != "" && alike && !strings.Contains(m.Mailbox, mailbox):
		case hasFrom && at.Before(from), hasTo && at.After(to.Add(time.Minute)):
		default:
			hits = append(hits, dated{m, at})
		}
	}
	f.mu.Unlock()
	slices.SortStableFunc(hits, func(a, b dated) int { return a.at.Compare(b.at) })
	pg, _ := in["pagination"].(map[string]any)
	start, _ := strconv.Atoi(fieldText(pg["start"]))
	count, err := strconv.Atoi(fieldText(pg["count"]))
	if err != nil || count <= 0 {
		count = 20
	}
	page := []InboxMessage{}
	for i := start; i < len(hits) && i < start+count; i++ {
		page = append(page, hits[i].m)
	}
	return map[string]any{
		"pagination": map[string]any{"start": start, "count": count, "sorting": map[string]int{"date": 1}, "total": len(hits)},
		"data":       page,
	}
}

// AddVoicemail puts a message in the fake's inbox (as a caller leaving one would).
func (f *Fake) AddVoicemail(m InboxMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opt.Inbox = append(f.opt.Inbox, m)
}
