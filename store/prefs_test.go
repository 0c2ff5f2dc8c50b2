package store

import (
	"path/filepath"
	"testing"
)

// A person's choice survives closing and reopening the file; clearing forgets it.
func TestPrefsKeptAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := open(t, path, Options{})
	if v, err := s.Pref("ali", "lang"); err != nil || v != "" {
		t.Fatalf("fresh pref = %q, %v", v, err)
	}
	if err := s.SetPref("ali", "lang", "fa"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPref("ali2", "lang", "cs"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path, Options{})
	if v, _ := s.Pref("ali", "lang"); v != "fa" {
		t.Fatalf("after reopen: %q, want fa", v)
	}
	if err := s.SetPref("ali", "lang", ""); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Pref("ali", "lang"); v != "" {
		t.Fatalf("cleared pref = %q", v)
	}
	if v, _ := s.Pref("ali2", "lang"); v != "cs" {
		t.Fatalf("other user's pref = %q", v)
	}
}
