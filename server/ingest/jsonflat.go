package ingest

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// flattenJSONObject flattens a JSON object body straight into f, as flattenJSON does
// with encoding/json's map[string]any, without building that map and boxing every
// value: most deliveries are such bodies, and the map was a third of decoding's garbage.
// It reports false when body is not one valid JSON object (f untouched) or an object
// in it repeats a key (encoding/json's last one wins, replacing a whole subtree; f
// holds part of the body then): parseFields decodes those with encoding/json, errors
// and all.
func flattenJSONObject(f fields, body []byte) bool {
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return false
	}
	p := flatParser{b: body, out: f}
	return p.value("")
}

// flatParser walks a body json.Valid accepted, so it checks no syntax.
type flatParser struct {
	b   []byte
	i   int
	out fields
}

func (p *flatParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value reads the value at p.i into out under prefix; false: a repeated key.
func (p *flatParser) value(prefix string) bool {
	p.space()
	switch p.b[p.i] {
	case '{':
		return p.object(prefix)
	case '[':
		p.i++
		p.space()
		if p.b[p.i] == ']' {
			p.i++
			return true
		}
		for n := 0; ; n++ {
			if !p.value(join(prefix, strconv.Itoa(n))) {
				return false
			}
			p.space()
			p.i++ // ',' or ']'
			if p.b[p.i-1] == ']' {
				return true
			}
		}
	case '"':
		p.out[prefix] = p.str()
	case 't':
		p.i += len("true")
		p.out[prefix] = "true"
	case 'f':
		p.i += len("false")
		p.out[prefix] = "false"
	case 'n':
		p.i += len("null") // null is "not said"
	default: // a number: its exact digits, as json.Number keeps them
		start := p.i
		for p.i < len(p.b) && strings.IndexByte("+-0123456789.eE", p.b[p.i]) >= 0 {
			p.i++
		}
		p.out[prefix] = string(p.b[start:p.i])
	}
	return true
}

func (p *flatParser) object(prefix string) bool {
	p.i++ // '{'
	p.space()
	if p.b[p.i] == '}' {
		p.i++
		return true
	}
	var keys []string // as written: encoding/json compares them so
	for {
		p.space()
		k := p.str()
		for _, seen := range keys {
			if seen == k {
				return false
			}
		}
		keys = append(keys, k)
		p.space()
		p.i++ // ':'
		if !p.value(join(prefix, strings.ToLower(k))) {
			return false
		}
		p.space()
		p.i++ // ',' or '}'
		if p.b[p.i-1] == '}' {
			return true
		}
	}
}

// str reads the string at p.i. One without escapes and in valid UTF-8 is its bytes;
// any other is decoded by encoding/json, for the same escapes and replacement runes.
func (p *flatParser) str() string {
	start := p.i
	p.i++ // '"'
	escaped := false
	for p.b[p.i] != '"' {
		if p.b[p.i] == '\\' {
			escaped = true
			p.i++
		}
		p.i++
	}
	p.i++
	raw := p.b[start+1 : p.i-1]
	if !escaped && utf8.Valid(raw) {
		return string(raw)
	}
	var s string
	_ = json.Unmarshal(p.b[start:p.i], &s) // valid: json.Valid accepted the body
	return s
}
