package ingest

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// viaEncodingJSON is what parseFields made of a JSON object body before jsonflat.go:
// encoding/json's map, flattened.
func viaEncodingJSON(t testing.TB, body []byte) (fields, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	f := fields{}
	flattenJSON(f, "", obj)
	return f, true
}

// sameAsEncodingJSON checks that the direct flattening gives what encoding/json gave,
// or declines (and then adds nothing when the body is not a valid object).
func sameAsEncodingJSON(t *testing.T, body []byte) {
	t.Helper()
	want, valid := viaEncodingJSON(t, body)
	got := fields{}
	ok := flattenJSONObject(got, body)
	switch {
	case ok && !valid:
		t.Errorf("%q: flattened a body encoding/json refuses: %v", body, got)
	case !ok && !valid && len(got) > 0:
		t.Errorf("%q: added %v before declining", body, got)
	case ok && foldedKeysMeet(body):
		// encoding/json's map gave one of the values at random; the direct one, the last
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
			t.Errorf("%q: fields %v, want %v", body, got, want)
		}
	case ok && !maps.Equal(got, want):
		t.Errorf("%q:\n got %v\nwant %v", body, got, want)
	}
}

// foldedKeysMeet tells whether two keys of one object in body are the same lowercased
// ("Key" and "key").
func foldedKeysMeet(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var meet func(any) bool
	meet = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			seen := map[string]bool{}
			for k, e := range x {
				if seen[strings.ToLower(k)] || meet(e) {
					return true
				}
				seen[strings.ToLower(k)] = true
			}
		case []any:
			for _, e := range x {
				if meet(e) {
					return true
				}
			}
		}
		return false
	}
	return meet(v)
}

func TestFlattenJSONObjectAsEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{}`, ` {"a":1} `, `{"A":{"B":[1,"x",true,false,null,{"c":-1.5e3}]},"d":[]}`,
		`{"n":0.10,"big":12345678901234567890,"neg":-0,"exp":1E+2}`,
		`{"s":"plain","u":"\u00e9\u2028\ud83d\ude00","esc":"a\"b\\c\/d\n\t","lone":"\ud800x"}`,
		`{"utf8":"Petr Novák ☎","bad":"` + "\xff\xfe" + `"}`,
		`{"nested":{"deep":{"deeper":{"x":"1"}}},"arr":[[1,2],[3,[4]]]}`,
		`{"Key":"upper","key":"lower"}`,                                        // one field either way
		`{"a":1,"a":2}`, `{"a":{"x":1},"a":null}`, `{"a":{"x":1},"a":{"y":2}}`, // repeated keys
		`{"a":1}{"b":2}`, `{"a":1,}`, `{"a":01}`, `[1,2]`, `"x"`, `{"a":"` + "\x01" + `"}`, `{`, ``, `{"a":1} x`,
		"{\"tab\":\"a\tb\"}", `{"k\u0041":"escaped key"}`, `{"":"empty key","x":{"":1}}`,
	} {
		sameAsEncodingJSON(t, []byte(body))
	}
	// every JSON fixture body
	files, _ := filepath.Glob("testdata/*/*.http")
	n := 0
	for _, path := range files {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n\n")
		if body = strings.TrimSpace(body); strings.HasPrefix(body, "{") {
			sameAsEncodingJSON(t, []byte(body))
			n++
		}
	}
	if n == 0 {
		t.Fatal("no JSON fixture bodies found")
	}
}

func FuzzFlattenJSONObject(f *testing.F) {
	for _, s := range []string{`{"a":{"b":[1,"x",null]},"C":true}`, `{"s":"\u00e9\ud83d\ude00"}`, `{"a":1,"a":{"b":2}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { sameAsEncodingJSON(t, body) })
}
