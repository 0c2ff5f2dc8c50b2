package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fields is a flattened, case-insensitive view of a delivery: JSON objects, form fields
// and query parameters all become "a.b.0.c" keys (lowercased) with text values, so
// every decoder reads every transport the same way. Numbers keep their exact digits.
type fields map[string]string

// get returns the first non-empty value among keys (compared case-insensitively).
func (f fields) get(keys ...string) string {
	for _, k := range keys {
		if v, ok := f[strings.ToLower(k)]; ok && v != "" {
			return v
		}
	}
	return ""
}

// has reports whether any of keys is present, even empty.
func (f fields) has(keys ...string) bool {
	for _, k := range keys {
		if _, ok := f[strings.ToLower(k)]; ok {
			return true
		}
	}
	return false
}

// sub returns the fields under prefix ("cdr" → keys of "cdr.x" as "x").
func (f fields) sub(prefix string) fields {
	p := strings.ToLower(prefix) + "."
	out := fields{}
	for k, v := range f {
		if strings.HasPrefix(k, p) {
			out[k[len(p):]] = v
		}
	}
	return out
}

// list returns the elements of the array at prefix, in index order: each element is
// the sub-fields of "prefix.N"; a scalar element is available as key "".
func (f fields) list(prefix string) []fields {
	s := f.sub(prefix)
	idx := map[int]fields{}
	for k, v := range s {
		head, rest, _ := strings.Cut(k, ".")
		n, err := strconv.Atoi(head)
		if err != nil || n < 0 {
			continue
		}
		if idx[n] == nil {
			idx[n] = fields{}
		}
		idx[n][rest] = v
	}
	keys := make([]int, 0, len(idx))
	for n := range idx {
		keys = append(keys, n)
	}
	sort.Ints(keys)
	out := make([]fields, 0, len(keys))
	for _, n := range keys {
		out = append(out, idx[n])
	}
	return out
}

// parseFields reads the query and the body (JSON or form, by content type or by sniffing)
// into one fields map. Body keys win over query keys.
func parseFields(req Request) (fields, error) {
	body := bytes.TrimSpace(req.Body)
	f := make(fields, fieldsHint(req.Query, body))
	addValues(f, req.Query)
	if len(body) == 0 {
		return f, nil
	}
	ct := mediaType(req.ContentType)
	isJSON := strings.Contains(ct, "json") || ((ct == "" || ct == "text/plain") && (body[0] == '{' || body[0] == '['))
	if isJSON {
		if flattenJSONObject(f, body) { // see jsonflat.go
			return f, nil
		}
		f = make(fields, len(f)) // it may have added to f: only the query's fields again
		addValues(f, req.Query)
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: body is not valid JSON: %v", ErrUndecodable, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%w: body has data after the JSON value", ErrUndecodable)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: JSON body is not an object", ErrUndecodable)
		}
		flattenJSON(f, "", obj)
		return f, nil
	}
	if ct == "" || ct == "application/x-www-form-urlencoded" || ct == "text/plain" {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("%w: body is not form data: %v", ErrUndecodable, err)
		}
		addValues(f, vals)
		return f, nil
	}
	if ct == "multipart/form-data" {
		return nil, fmt.Errorf("%w: multipart bodies are not supported; send form-urlencoded or JSON", ErrUndecodable)
	}
	return nil, fmt.Errorf("%w: unsupported content type %q", ErrUndecodable, req.ContentType)
}

// mediaType is mime.ParseMediaType's media type ("" when it refuses the header), kept
// for the few Content-Type values a site's PBXs send: parsing builds a map of the
// parameters each time.
func mediaType(contentType string) string {
	if ct, ok := mediaTypes.Load(contentType); ok {
		return ct.(string)
	}
	ct, _, _ := mime.ParseMediaType(contentType)
	if mediaTypesKept.Add(1) <= maxMediaTypes { // a sender cannot make it grow without bound
		mediaTypes.Store(contentType, ct)
	}
	return ct
}

var (
	mediaTypes     sync.Map // Content-Type → media type
	mediaTypesKept atomic.Int32
)

const maxMediaTypes = 256

// fieldsHint guesses how many fields a delivery has (a JSON member has a ':', a form
// field an '&' before the next), so the map is made once at about its size rather
// than grown several times; at most maxFieldsHint.
func fieldsHint(query map[string][]string, body []byte) int {
	n := len(query) + bytes.Count(body, []byte{':'}) + bytes.Count(body, []byte{'&'}) + 1
	return min(n, maxFieldsHint)
}

const maxFieldsHint = 64

func flattenJSON(f fields, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flattenJSON(f, join(prefix, strings.ToLower(k)), e)
		}
	case []any:
		for i, e := range x {
			flattenJSON(f, join(prefix, strconv.Itoa(i)), e)
		}
	case nil:
		// null is "not said"
	case json.Number:
		f[prefix] = x.String()
	case string:
		f[prefix] = x
	case bool:
		if x {
			f[prefix] = "true"
		} else {
			f[prefix] = "false"
		}
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// addValues flattens form keys: "cdr[a][b]" and "cdr.a.b" are both "cdr.a.b";
// "x[]" repeated becomes x.0, x.1, ...
func addValues(f fields, vals url.Values) {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := strings.ToLower(bracketsToDots(k))
		for i, v := range vals[k] {
			if strings.HasSuffix(key, ".") { // "x[]"
				f[key+strconv.Itoa(i)] = v
				continue
			}
			if _, dup := f[key]; dup || i > 0 {
				continue // first value wins
			}
			f[key] = v
		}
	}
}

func bracketsToDots(k string) string {
	if !strings.Contains(k, "[") {
		return k
	}
	var b strings.Builder
	for _, r := range k {
		switch r {
		case '[':
			b.WriteByte('.')
		case ']':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// num parses a vendor number ("102.0", "12", " 7 ") into a float pointer; nil if absent or bad.
func num(s string) *float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return &v
}

// parseTime reads the time formats vendors send: RFC 3339 (with or without fraction),
// "2006-01-02 15:04:05[.ffffff]" in loc, and Unix epoch seconds (integer or float).
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), true
		}
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 1e8 && v < 1e11 {
		sec := int64(v)
		ns := int64((v - float64(sec)) * 1e9)
		return time.Unix(sec, ns/1e6*1e6).UTC(), true
	}
	return time.Time{}, false
}
