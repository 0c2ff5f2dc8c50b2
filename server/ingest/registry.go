package ingest

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Vendor is everything Ringside knows about one vendor's webhooks. Each vendor's file
// registers one from its init; nothing else lists the vendors: the configuration's
// check and its generated default sources, the board's presence rule, the demo and the
// simulator's tests all read this registry. Adding a vendor is one decoder file (with
// its Vendor) and its fixtures in testdata/{Name}/.
type Vendor struct {
	Name   string  // the key a source names in vendor = "...", lower case
	Order  int     // its place where vendors are listed (config errors, generated sources)
	Decode Decoder // one request to events
	// Auth is the credentials Ringside generates for the vendor's default source: what
	// the PBX can send with every delivery.
	Auth Auth
	// NoPresence says the PBX sends call events only (no login, pause or device state):
	// an agent the directory lists in a queue is then available there between calls.
	// False is the safe reading: an agent no event shows is offline.
	NoPresence bool
	// Fixtures are the sources the fixtures in testdata/{Name}/ are addressed to
	// (/hooks/{Fixture.Source}); the server's tests configure the same ones.
	Fixtures []Fixture
}

// Auth is a way for a PBX to prove a delivery is its own.
type Auth string

const (
	AuthBasic Auth = "basic" // HTTP Basic username and password
	AuthToken Auth = "token" // a token in the URL (?token=), for PBXs that take a bare URL
)

// Fixture is a webhook source the vendor's test fixtures are addressed to.
type Fixture struct {
	Source string            // its name, the {source} of /hooks/{source}
	Zone   string            // IANA time zone for vendor times without one; "" is UTC
	KeyMap map[string]string // renamed keys, as Source.KeyMap
}

// FixtureSources are the vendor's Fixtures as decoder sources (a zone that does not
// load is UTC, and the fixtures' goldens then show it).
func (v Vendor) FixtureSources() []Source {
	var out []Source
	for _, f := range v.Fixtures {
		loc := time.UTC
		if f.Zone != "" {
			if l, err := time.LoadLocation(f.Zone); err == nil {
				loc = l
			}
		}
		out = append(out, Source{Name: f.Source, Vendor: v.Name, Location: loc, KeyMap: f.KeyMap})
	}
	return out
}

var registry = map[string]Vendor{}

// register is called by each vendor file's init.
func register(v Vendor) {
	if _, dup := registry[v.Name]; dup || v.Name != strings.ToLower(v.Name) || v.Decode == nil {
		panic("ingest: bad or duplicate vendor registration " + v.Name)
	}
	registry[v.Name] = v
}

// Registered lists the registered vendors in their Order.
func Registered() []Vendor {
	out := make([]Vendor, 0, len(registry))
	for _, v := range registry {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Vendor) int { return cmp.Or(cmp.Compare(a.Order, b.Order), strings.Compare(a.Name, b.Name)) })
	return out
}

// Vendors lists the registered vendor keys in their Order.
func Vendors() []string {
	var out []string
	for _, v := range Registered() {
		out = append(out, v.Name)
	}
	return out
}

// Lookup returns the vendor registered under a key (case-insensitive).
func Lookup(vendor string) (Vendor, bool) {
	v, ok := registry[strings.ToLower(vendor)]
	return v, ok
}

// Known reports whether a vendor key has a decoder.
func Known(vendor string) bool { _, ok := Lookup(vendor); return ok }
