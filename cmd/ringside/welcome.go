package main

import (
	"fmt"
	"io"
	"strings"

	"ringside/server/config"
	"ringside/server/version"
)

// printWelcome prints, once the port is bound, where the webhooks go and how to log in.
// Secrets are printed only on the start that generated them: later starts name the
// file that keeps them (start-up output tends to end up in logs).
func printWelcome(w io.Writer, cfg *config.Config, demoUser, addr, dbPath string) {
	fmt.Fprintf(w, "Ringside %s listening on %s, data in %s\n", version.String(), addr, dbPath)
	if cfg.Demo {
		where := "its own data directory"
		if !cfg.DataDefaulted {
			where = "the data directory you chose"
		}
		fmt.Fprintf(w, "Demo mode: simulated traffic from every source is posted to this server's own /hooks, kept in %s (%s).\n", where, cfg.Data)
	}
	secrets := cfg.JustGenerated
	switch {
	case cfg.JustGenerated:
		fmt.Fprintf(w, "Generated defaults, printed this once (kept in %s; define [[sources]] and [[users]] in a config file to replace them):\n", cfg.Generated)
	case cfg.Generated != "":
		fmt.Fprintf(w, "Default sources and users; their secrets are in %s.\n", cfg.Generated)
	}
	fmt.Fprintln(w, "\nWebhook sources:")
	if cfg.SourcesGenerated && len(cfg.Sources) > 0 {
		fmt.Fprintf(w, "  (vendor times without a zone are read as %s, this server's zone; set timezone in [[sources]] if the PBX runs in another)\n", cfg.Sources[0].Timezone)
	}
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		if !secrets {
			fmt.Fprintf(w, "  %-10s %-8s %s\n", s.Name, s.Vendor, cfg.HookURL(&config.Source{Name: s.Name}))
			continue
		}
		fmt.Fprintf(w, "  %-10s %-8s %s", s.Name, s.Vendor, cfg.HookURL(s))
		if s.Username != "" {
			fmt.Fprintf(w, "   Basic auth %s / %s", s.Username, s.Password)
		}
		if s.SigningSecret != "" {
			fmt.Fprintf(w, "   signing secret %s", s.SigningSecret)
		}
		fmt.Fprintln(w)
	}
	login := strings.TrimSuffix(cfg.HookURL(&config.Source{}), "/hooks/") + "/login"
	fmt.Fprintln(w, "\nLog in at "+login)
	for _, u := range cfg.Users {
		// a demo's agent login is made up at each start, so it is always new
		if secrets || (u.Name == demoUser && demoUser != "") {
			fmt.Fprintf(w, "  %s (%s) password %s", u.Name, u.Role, u.Password)
			if u.APIKey != "" && secrets {
				fmt.Fprintf(w, ", X-APIKEY %s", u.APIKey)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}
