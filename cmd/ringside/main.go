// Command ringside is the real-time call dashboard server.
//
//	go run ./cmd/ringside            zero config: :8080, ./data/ringside.db, generated secrets
//	go run ./cmd/ringside -config ringside.toml
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"ringside/server"
	"ringside/server/config"
	"ringside/server/sim"
	"ringside/store"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		fmt.Fprintln(os.Stderr, "ringside:", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cfg, err := config.Load(os.Args[1:], os.Getenv)
	if err != nil {
		return err
	}
	var demo *sim.Generator
	if cfg.Demo {
		demo = demoGenerator(cfg)
	}
	dbPath := filepath.Join(cfg.Data, "ringside.db")
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		return err
	}
	srv, err := server.New(cfg, st, log)
	if err != nil {
		st.Close()
		return err
	}
	printWelcome(cfg, dbPath)

	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.Listen) }()
	ctx, stopDemo := context.WithCancel(context.Background())
	defer stopDemo()
	if demo != nil {
		fmt.Println("Demo mode: simulated traffic from every source is posted to this server's own /hooks.")
		go runDemo(ctx, cfg, demo, log)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case err = <-errc:
		st.Close()
		return err
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
	}
	stopDemo()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Error("shutdown", "err", err)
	}
	return st.Close() // finishes queued writes
}

// printWelcome prints, once at start, where the webhooks go and how to log in.
func printWelcome(cfg *config.Config, dbPath string) {
	w := os.Stdout
	fmt.Fprintf(w, "Ringside listening on %s, data in %s\n", cfg.Listen, dbPath)
	if cfg.Generated != "" {
		fmt.Fprintf(w, "Generated defaults (kept in %s; define [[sources]] and [[users]] in a config file to replace them):\n", cfg.Generated)
	}
	fmt.Fprintln(w, "\nWebhook sources:")
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		fmt.Fprintf(w, "  %-10s %-8s %s", s.Name, s.Vendor, cfg.HookURL(s))
		if s.Username != "" {
			fmt.Fprintf(w, "   Basic auth %s / %s", s.Username, s.Password)
		}
		if s.SigningSecret != "" {
			fmt.Fprintf(w, "   signing secret %s", s.SigningSecret)
		}
		fmt.Fprintln(w)
	}
	if cfg.Generated != "" || cfg.Demo {
		fmt.Fprintln(w, "\nUsers (log in at "+strings.TrimSuffix(cfg.HookURL(&config.Source{}), "/hooks/")+"/login):")
		for _, u := range cfg.Users {
			fmt.Fprintf(w, "  %s (%s) password %s", u.Name, u.Role, u.Password)
			if u.APIKey != "" {
				fmt.Fprintf(w, ", X-APIKEY %s", u.APIKey)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}
