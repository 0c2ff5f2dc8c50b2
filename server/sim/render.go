package sim

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"ringside/server/ingest"
)

// Source is a webhook source of the Ringside server the simulator plays a PBX for.
type Source struct {
	Name, Vendor       string
	Username, Password string // HTTP Basic
	Token              string // sent as X-Ringside-Token
	SigningSecret      string // SipSim signature (X-Webhook-Timestamp, X-Webhook-Signature)
	// Variant is the transport variant (see Variants); "" is the vendor's default and
	// VariantMix picks one per story, so one run exercises them all.
	Variant string
	// Location is the PBX's zone as configured on the Ringside source: Simotel sends
	// zone-less local times in it. Nil means UTC, as on the server.
	Location *time.Location
	// KeyMap is a VOIPEX installation's key renames (its key → the default key), as
	// configured on the Ringside source.
	KeyMap map[string]string
}

// VariantMix picks a variant per story (by its id).
const VariantMix = "mix"

var variants = map[string][]string{
	"simotel":  {"g4-json", "g4-get", "rest4-json", "rest4-get", "g3-form", "rest3-form", "api-data-form"},
	"voipex":   {"json"},
	"cloudcdr": {"json", "put-json", "form-brackets", "form-dots", "get"},
	"sipsim":   {"json-signed", "get", "form"},
}

// Vendors lists the vendors the simulator can play, in the order of their registration
// with the decoders (ingest.Vendors).
func Vendors() []string {
	var out []string
	for _, v := range ingest.Vendors() {
		if variants[v] != nil {
			out = append(out, v)
		}
	}
	return out
}

// Variants lists a vendor's transport variants; the first is its default.
func Variants(vendor string) []string { return slices.Clone(variants[strings.ToLower(vendor)]) }

// Check reports whether the source names a vendor and variant the simulator knows.
func (s Source) Check() error {
	vs := variants[strings.ToLower(s.Vendor)]
	if s.Name == "" {
		return fmt.Errorf("sim: source without a name")
	}
	if vs == nil {
		return fmt.Errorf("sim: source %s: unknown vendor %q (want one of %s)", s.Name, s.Vendor, strings.Join(Vendors(), ", "))
	}
	if s.Variant != "" && s.Variant != VariantMix && !slices.Contains(vs, s.Variant) {
		return fmt.Errorf("sim: source %s: %s has no variant %q (want one of %s or %s)", s.Name, s.Vendor, s.Variant, strings.Join(vs, ", "), VariantMix)
	}
	return nil
}

// Delivery is one webhook request, sent At after the story's start.
type Delivery struct {
	Method string
	Target string // path and query: /hooks/{source}[/{event}][?...]
	Header http.Header
	Body   []byte
	At     time.Duration
}

// String writes the delivery as a testdata fixture (*.http) without credentials.
func (d Delivery) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", d.Method, d.Target)
	keys := make([]string, 0, len(d.Header))
	for k := range d.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range d.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.Write(d.Body)
	b.WriteString("\n")
	return b.String()
}

// Render returns the vendor's webhook requests for the story, in sending order. It is
// deterministic; it returns nil for an invalid source (see Source.Check) and for stories
// the vendor has no events for (agent actions on cloudcdr and SipSim).
func Render(src Source, st Story) []Delivery {
	if src.Check() != nil {
		return nil
	}
	vendor := strings.ToLower(src.Vendor)
	variant := src.Variant
	switch variant {
	case "":
		variant = variants[vendor][0]
	case VariantMix:
		vs := variants[vendor]
		variant = vs[hash64(st.Source, st.ID)%uint64(len(vs))]
	}
	if variant == "get" && vendor == "sipsim" && src.SigningSecret != "" {
		// A signature covers the body alone, and Ringside reads a signed delivery from
		// its body only: a source that signs posts its fields (the legacy form).
		variant = "form"
	}
	r := renderer{src: src, st: st, variant: variant, ua: "ringside-sim/1 (" + vendor + " " + variant + ")"}
	switch vendor {
	case "simotel":
		r.simotel()
	case "voipex":
		r.voipex()
	case "cloudcdr":
		r.cloudcdr()
	case "sipsim":
		r.sipsim()
	}
	// Renderers write a call leg by leg; a PBX sends in time order (a ring-all chain
	// interleaves its legs).
	slices.SortStableFunc(r.out, func(a, b Delivery) int { return cmp.Compare(a.At, b.At) })
	return r.out
}

// renderer collects one story's deliveries.
type renderer struct {
	src     Source
	st      Story
	variant string
	ua      string
	out     []Delivery
}

func (r *renderer) loc() *time.Location {
	if r.src.Location == nil {
		return time.UTC
	}
	return r.src.Location
}

// at is the story time at offset d.
func (r *renderer) at(d time.Duration) time.Time { return r.st.Start.Add(d) }

// add appends a request to /hooks/{source}{path} with query q and body (typ names its
// content type; "" for none).
func (r *renderer) add(at time.Duration, method, path string, q string, typ string, body []byte) {
	target := "/hooks/" + url.PathEscape(r.src.Name) + path
	if q != "" {
		target += "?" + q
	}
	h := http.Header{"User-Agent": {r.ua}}
	if typ != "" {
		h.Set("Content-Type", typ)
	}
	r.out = append(r.out, Delivery{Method: method, Target: target, Header: h, Body: body, At: at})
}

// obj is a JSON object that keeps its keys in the order a vendor sends them.
type obj []kv

type kv struct {
	k string
	v any // string, int, float64, bool, nil, obj, []obj, []string
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o obj) json() []byte {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err) // only our own value types go in
	}
	return b
}

// form encodes o as form or query data in key order. Nested keys are written
// key[sub][0] (brackets) or key.sub.0 (dots); a list of scalars as key[] repeated
// (brackets) or key.N (dots); nil values are left out.
func (o obj) form(dots bool) string {
	var b strings.Builder
	var walk func(prefix string, v any)
	name := func(prefix, k string) string {
		switch {
		case prefix == "":
			return k
		case dots:
			return prefix + "." + k
		}
		return prefix + "[" + k + "]"
	}
	put := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case nil:
		case obj:
			for _, f := range x {
				walk(name(prefix, f.k), f.v)
			}
		case []obj:
			for i, e := range x {
				walk(name(prefix, strconv.Itoa(i)), e)
			}
		case []string:
			for i, e := range x {
				if dots {
					put(name(prefix, strconv.Itoa(i)), e)
				} else {
					put(prefix+"[]", e)
				}
			}
		default:
			put(prefix, scalar(x))
		}
	}
	walk("", o)
	return b.String()
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	panic(fmt.Sprintf("sim: no form encoding for %T", v))
}

// secs is a duration in whole seconds, as vendors count them.
func secs(d time.Duration) int { return int(d.Round(time.Second) / time.Second) }

// hash64 derives a stable number from parts, for ids a renderer must invent.
func hash64(parts ...string) uint64 {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return binary.BigEndian.Uint64(h[:8])
}

// hexID is a stable hex string of n characters derived from parts.
func hexID(n int, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:n]
}

// uuid is a stable version-4-shaped UUID derived from parts.
func uuid(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// CloudCDRSessionID is the cdr.id Render sends for a story on a cloudcdr source (its
// call id is "{source}:{session id}").
func CloudCDRSessionID(src Source, st Story) string { return uuid("cdr", src.Name, st.ID) }
