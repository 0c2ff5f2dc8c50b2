package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"ringside/server/config"
	"ringside/server/ingest"
	"ringside/server/sim"
)

// demoSpeed compresses the simulated call center's time so the pages move.
const demoSpeed = 12

// demoGenerator plays simulated traffic from every configured source. It also fills
// the agent directory with the simulated people and adds an agent login, so the pages
// show names and a screen-pop can be tried; it returns that login's name ("" if the
// configuration has an agent user already).
func demoGenerator(cfg *config.Config) (*sim.Generator, string) {
	var srcs []sim.Source
	for _, s := range cfg.Sources {
		srcs = append(srcs, sim.Source{Name: s.Name, Vendor: s.Vendor, Username: s.Username, Password: s.Password,
			Token: s.Token, SigningSecret: s.SigningSecret, Variant: sim.VariantMix, Location: s.Location, KeyMap: s.KeyMap})
	}
	g := sim.NewGenerator(uint64(time.Now().UnixNano()), srcs, sim.Options{Speed: demoSpeed})
	addDemoPeople(cfg, g)
	hasAgentUser := false
	for _, u := range cfg.Users {
		hasAgentUser = hasAgentUser || u.Role == "agent"
	}
	if !hasAgentUser && len(cfg.Agents) > 0 {
		cfg.Users = append(cfg.Users, config.User{Name: "agent", Password: demoPassword(), Role: "agent", Agent: cfg.Agents[0].ID})
		return g, "agent"
	}
	return g, ""
}

// demoPassword is the demo agent's password: random at each start (and printed then),
// since a demo reachable from a network is a server like any other.
func demoPassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// keepDemoPeople gives a reloaded configuration the demo's simulated people and, if
// the demo made one, its agent login (from the configuration it started with).
func keepDemoPeople(next, started *config.Config, g *sim.Generator, demoUser string) {
	addDemoPeople(next, g)
	if demoUser == "" {
		return
	}
	for _, u := range started.Users {
		if u.Name == demoUser && !slices.ContainsFunc(next.Users, func(n config.User) bool { return n.Name == u.Name }) {
			next.Users = append(next.Users, u)
		}
	}
}

// addDemoPeople adds the simulated agents to the directory (again after a reload).
func addDemoPeople(cfg *config.Config, g *sim.Generator) {
	known := map[string]bool{}
	for _, a := range cfg.Agents {
		known[a.ID] = true
	}
	for _, s := range g.Sources() {
		for _, a := range g.Agents(s.Name) {
			id := strings.ToLower(strings.ReplaceAll(a.Name, " ", "."))
			if known[id] {
				continue
			}
			known[id] = true
			var match []string
			for _, ident := range []string{a.Login, a.Ext, a.Number} {
				if ident != "" {
					match = append(match, s.Name+":"+ident)
				}
			}
			cfg.Agents = append(cfg.Agents, config.Agent{ID: id, Name: a.Name, Match: match, Queues: demoMembership(g, s, a)})
		}
	}
	addDemoQueues(cfg, g)
}

// demoMembership lists the queues a simulated agent belongs to, for the vendors that
// report no presence (SipSim, cloudcdr): the directory is what says they are logged in.
func demoMembership(g *sim.Generator, s sim.Source, a sim.Agent) []string {
	if v, ok := ingest.Lookup(s.Vendor); !ok || !v.NoPresence {
		return nil
	}
	var out []string
	for _, q := range g.Queues(s.Name) {
		if slices.Contains(q.Members, a) {
			out = append(out, s.Name+":"+q.Name)
		}
	}
	return out
}

// addDemoQueues maps each simulated Simotel queue's dialed number to it (entry_points),
// so a caller waiting while every agent is busy shows in that queue at once.
func addDemoQueues(cfg *config.Config, g *sim.Generator) {
	for _, s := range g.Sources() {
		if strings.ToLower(s.Vendor) != "simotel" {
			continue
		}
		for _, q := range g.Queues(s.Name) {
			id := s.Name + ":" + q.Name
			if !slices.ContainsFunc(cfg.Queues, func(c config.Queue) bool { return c.ID == id }) {
				cfg.Queues = append(cfg.Queues, config.Queue{ID: id, EntryPoints: []string{q.DID}})
			}
		}
	}
}

// runDemo posts the simulated traffic to this server's own /hooks until ctx ends.
func runDemo(ctx context.Context, addr string, g *sim.Generator, log *slog.Logger) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		log.Error("demo: cannot tell the port", "listen", addr)
		return
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1" // every address: loopback is one of them
	}
	p := &sim.Poster{BaseURL: "http://" + net.JoinHostPort(host, port)}
	st, err := sim.Run(ctx, p, g, 0)
	if err != nil && ctx.Err() == nil {
		log.Error("demo traffic stopped", "err", err)
	}
	log.Info("demo traffic ended", "stats", fmt.Sprintf("%+v", st.Sent))
}
