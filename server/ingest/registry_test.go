package ingest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Every registered vendor has fixtures in testdata/{name}/ addressed to a source it
// registered, and every testdata directory belongs to a registered vendor.
func TestRegistryMatchesTestdata(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := Lookup(d.Name()); d.IsDir() && !ok {
			t.Errorf("testdata/%s/ belongs to no registered vendor", d.Name())
		}
	}
	for _, v := range Registered() {
		t.Run(v.Name, func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join("testdata", v.Name, "*.http"))
			if len(files) == 0 || len(v.Fixtures) == 0 {
				t.Fatalf("%d fixture files, %d fixture sources: a vendor needs both", len(files), len(v.Fixtures))
			}
			for i, s := range v.FixtureSources() {
				if f := v.Fixtures[i]; s.Name != f.Source || s.Vendor != v.Name || s.Location == nil || (f.Zone != "" && s.Location.String() != f.Zone) {
					t.Errorf("fixture %s: source %+v", f.Source, s)
				}
			}
			if v.Auth != AuthBasic && v.Auth != AuthToken {
				t.Errorf("auth %q: no default credentials for it", v.Auth)
			}
		})
	}
}

func TestVendorsInTheirOrder(t *testing.T) {
	if got, want := Vendors(), []string{"simotel", "voipex", "cloudcdr", "sipsim"}; !slices.Equal(got, want) {
		t.Errorf("Vendors() = %v, want %v", got, want)
	}
	if v, ok := Lookup("SipSim"); !ok || v.Name != "sipsim" || !v.NoPresence || !Known("VOIPEX") || Known("asterisk") {
		t.Errorf("Lookup is not case-insensitive over the registered vendors: %+v %v", v, ok)
	}
	if v, _ := Lookup("simotel"); v.NoPresence || v.Auth != AuthBasic {
		t.Errorf("simotel registered as %+v: it sends presence and takes Basic credentials", v)
	}
}
