package main

import (
	"strings"
	"testing"

	"ringside/server/config"
)

// TestDemoPasswordNotGuessable: the demo's agent login was "demo-" + the first agent's
// id, which anyone who knows the simulator could guess. It is random at each start.
func TestDemoPasswordNotGuessable(t *testing.T) {
	passwords := map[string]bool{}
	for i := 0; i < 2; i++ {
		cfg, err := config.Load([]string{"-data", t.TempDir(), "-demo"}, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		_, user := demoGenerator(cfg)
		for _, u := range cfg.Users {
			if u.Name != user {
				continue
			}
			if len(u.Password) < 16 || strings.Contains(u.Password, u.Agent) || strings.HasPrefix(u.Password, "demo") {
				t.Errorf("demo agent password %q is guessable", u.Password)
			}
			passwords[u.Password] = true
		}
	}
	if len(passwords) != 2 {
		t.Errorf("two starts gave the demo agent passwords %v, want two different ones", passwords)
	}
}
