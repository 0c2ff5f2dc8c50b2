// Package ingesttest is test support for webhook decoding, for the tests of any
// package: it reads the decoders' fixtures (server/ingest/testdata/{vendor}/*.http, one
// raw HTTP request each) and gives the webhook sources they are addressed to, as each
// vendor registered them with package ingest.
package ingesttest

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"

	"ringside/server/ingest"
)

// Raw is a webhook request as written in a testdata fixture (*.http):
//
//	POST /hooks/pbx1/NewState?x=1
//	Content-Type: application/json
//
//	{"event_name":"NewState"}
//
// The first line is the method and request target, header lines follow until a blank
// line, and the rest is the body (one final newline removed).
type Raw struct {
	Method string
	Target string // path and query, as sent
	Header http.Header
	Body   []byte
}

// ReadRaw parses a fixture file.
func ReadRaw(path string) (Raw, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Raw{}, err
	}
	return ParseRaw(b)
}

// ParseRaw parses fixture bytes.
func ParseRaw(b []byte) (Raw, error) {
	head, body, _ := bytes.Cut(b, []byte("\n\n"))
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(head, '\n', '\n'))))
	line, err := r.ReadLine()
	if err != nil {
		return Raw{}, err
	}
	method, target, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok || method == "" || !strings.HasPrefix(target, "/") {
		return Raw{}, fmt.Errorf("fixture: first line must be METHOD /path, got %q", line)
	}
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 && err.Error() != "EOF" {
		return Raw{}, fmt.Errorf("fixture headers: %v", err)
	}
	body = bytes.TrimSuffix(body, []byte("\n"))
	return Raw{Method: method, Target: strings.Fields(target)[0], Header: http.Header(h), Body: body}, nil
}

// Source returns the {source} segment of the target path /hooks/{source}[/{event}].
func (r Raw) Source() string { s, _ := r.split(); return s }

// Request builds the decoder's view of the raw request.
func (r Raw) Request() ingest.Request {
	_, ev := r.split()
	u, _ := url.Parse(r.Target)
	q := url.Values{}
	if u != nil {
		q = u.Query()
	}
	return ingest.Request{Method: r.Method, Event: ev, Query: q, ContentType: r.Header.Get("Content-Type"), Body: r.Body}
}

func (r Raw) split() (source, event string) {
	p := r.Target
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(p, "/hooks/"), "/"), "/")
	if len(parts) > 0 {
		source = parts[0]
	}
	if len(parts) > 1 {
		event = parts[1]
	}
	return source, event
}
