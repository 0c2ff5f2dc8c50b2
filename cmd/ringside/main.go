// Command ringside is the real-time call dashboard server.
//
//	ringside                      zero config: :8080, ./data/ringside.db, generated secrets
//	ringside -config ringside.toml
//	ringside version              print the version
//	ringside backup|restore|check see `ringside help`
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"ringside/server"
	"ringside/server/config"
	"ringside/server/sim"
	"ringside/server/version"
	"ringside/store"
)

func main() {
	if len(os.Args) > 1 {
		if tool, ok := tools[os.Args[1]]; ok {
			if err := tool(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "ringside "+os.Args[1]+":", err)
				os.Exit(1)
			}
			return
		}
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ringside:", err)
		os.Exit(1)
	}
}

// newLogger writes to stderr as text or, with log_format = "json", one JSON object a line.
func newLogger(format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

func run() error {
	cfg, err := config.Load(os.Args[1:], os.Getenv)
	if err != nil {
		return err
	}
	if cfg.ShowVersion {
		fmt.Println("ringside", version.String())
		return nil
	}
	log := newLogger(cfg.LogFormat)
	// Signals are ours before anything is printed: a SIGHUP sent as soon as the banner
	// shows must reload, not end the process (its default action).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	var demo *sim.Generator
	var demoUser string
	if cfg.Demo {
		demo, demoUser = demoGenerator(cfg)
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
	ln, err := net.Listen("tcp", cfg.Listen) // "tcp": IPv4 and IPv6 addresses alike
	if err != nil {
		srv.Shutdown(context.Background())
		st.Close()
		return err
	}
	srv.SetConfigLoader(func() (*config.Config, error) {
		next, err := config.Load(os.Args[1:], os.Getenv)
		if err == nil && demo != nil {
			keepDemoPeople(next, cfg, demo, demoUser)
		}
		return next, err
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	printWelcome(os.Stdout, cfg, demoUser, ln.Addr().String(), dbPath)
	log.Info("listening", "addr", ln.Addr().String(), "version", version.String(), "data", dbPath)

	ctx, stopDemo := context.WithCancel(context.Background())
	defer stopDemo()
	if demo != nil {
		go runDemo(ctx, ln.Addr().String(), demo, log)
	}
	for stop := false; !stop; {
		select {
		case err = <-errc:
			st.Close()
			return err
		case s := <-sig:
			if s == syscall.SIGHUP {
				log.Info("SIGHUP: reloading the configuration", "file", cfg.File)
				// Off this loop, so a reload that waits for the board (a start-up
				// replay, a long rebuild) never keeps a SIGTERM from being heard.
				// Reloads are serialised inside the server.
				go srv.ReloadConfig() // logs what it did, or why it refused
				continue
			}
			log.Info("shutting down", "signal", s.String())
			stop = true
		}
	}
	stopDemo()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Error("shutdown", "err", err)
	}
	return st.Close() // finishes queued writes
}
