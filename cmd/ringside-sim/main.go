// Command ringside-sim plays telephony traffic at a Ringside server: scripted calls and
// agent actions rendered into each vendor's real webhook requests, posted at a rate.
//
//	ringside-sim -config ringside.toml                 # a call center's natural pace, until ^C
//	ringside-sim -config ringside.toml -speed 20        # 20× shorter calls, 20× more of them
//	ringside-sim -config ringside.toml -rate 500 -speed 200 -n 10000
//	ringside-sim -source pbx1:simotel:hook:secret -source ss:sipsim:secret=abc -variant mix
//	ringside-sim -print -n 3 -source pbx1:simotel:hook:secret     # show the requests instead
//
// Without -config or -source it reads the zero-config server's ./data/generated.toml.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"ringside/server/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type list []string

func (l *list) String() string     { return strings.Join(*l, " ") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

const defaultConfig = "data/generated.toml"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ringside-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://localhost:8080", "Ringside base URL")
	config := fs.String("config", "", "Ringside TOML config whose [[sources]] to play (default "+defaultConfig+" if present)")
	var sources, variants list
	fs.Var(&sources, "source", "a source to play, name:vendor[:user:pass | :token=T,secret=S,user=U,pass=P,variant=V,tz=Zone] (repeatable)")
	fs.Var(&variants, "variant", "transport variant: VARIANT for every source that has it, NAME=VARIANT for one source, or mix (repeatable)")
	rate := fs.Float64("rate", 0, "deliveries per second (0 = the natural pace of the agents, inf = as fast as the server answers)")
	n := fs.Int("n", 0, "stories to play (0 = until interrupted)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed plays the same stories")
	speed := fs.Float64("speed", 1, "time compression: calls are this many times shorter (and agents take more)")
	agents := fs.Int("agents", 6, "agents per source")
	conc := fs.Int("concurrency", 32, "requests in flight at most")
	printOnly := fs.Bool("print", false, "print the requests (as testdata fixtures) instead of posting them")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	srcs, err := loadSources(*config, sources)
	if err == nil {
		err = applyVariants(srcs, variants)
	}
	if err != nil {
		fmt.Fprintln(stderr, "ringside-sim:", err)
		return 2
	}
	if *speed <= 0 || math.IsInf(*speed, 0) || *rate < 0 {
		fmt.Fprintln(stderr, "ringside-sim: -speed must be a positive number and -rate not negative")
		return 2
	}
	g := sim.NewGenerator(*seed, srcs, sim.Options{AgentsPerSource: *agents, Speed: *speed})
	if *printOnly {
		if *n == 0 {
			*n = 10
		}
		printStories(stdout, g, srcs, *n)
		return 0
	}
	p := &sim.Poster{BaseURL: *base, Rate: *rate, Concurrency: *conc}
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Name + " (" + s.Vendor + ")"
	}
	fmt.Fprintf(stderr, "ringside-sim: playing %s at %s\n", strings.Join(names, ", "), *base)
	st, err := sim.Run(ctx, p, g, *n)
	fmt.Fprintln(stdout, st)
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "ringside-sim:", err)
		return 1
	}
	if st.Errors > 0 || st.Sent != st.OK {
		return 1
	}
	return 0
}

// printStories writes n stories' deliveries, each headed by a comment line.
func printStories(w io.Writer, g *sim.Generator, srcs []sim.Source, n int) {
	byName := map[string]sim.Source{}
	for _, s := range srcs {
		byName[s.Name] = s
	}
	t := time.Date(2025, 1, 9, 8, 0, 0, 0, time.UTC)
	for range n {
		st := g.Next(t)
		for _, d := range sim.Render(byName[st.Source], st) {
			fmt.Fprintf(w, "### %s %s %s +%s\n%s\n", st.Source, st.Kind, st.ID, d.At, d)
		}
		t = t.Add(g.Interval())
	}
}

// fileSource is a [[sources]] entry of a Ringside config.
type fileSource struct {
	Name          string            `toml:"name"`
	Vendor        string            `toml:"vendor"`
	Username      string            `toml:"username"`
	Password      string            `toml:"password"`
	Token         string            `toml:"token"`
	SigningSecret string            `toml:"signing_secret"`
	Timezone      string            `toml:"timezone"`
	KeyMap        map[string]string `toml:"key_map"`
}

func loadSources(config string, flags []string) ([]sim.Source, error) {
	var out []sim.Source
	if config == "" && len(flags) == 0 {
		if _, err := os.Stat(defaultConfig); err != nil {
			return nil, errors.New("no sources: give -config FILE or -source name:vendor:cred (or run in the directory of a zero-config server, beside data/)")
		}
		config = defaultConfig
	}
	if config != "" {
		var f struct {
			Sources []fileSource `toml:"sources"`
		}
		if _, err := toml.DecodeFile(config, &f); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		for _, s := range f.Sources {
			src := sim.Source{Name: s.Name, Vendor: s.Vendor, Username: s.Username, Password: s.Password,
				Token: s.Token, SigningSecret: s.SigningSecret, KeyMap: s.KeyMap}
			if err := setZone(&src, s.Timezone); err != nil {
				return nil, err
			}
			out = append(out, src)
		}
	}
	for _, f := range flags {
		src, err := parseSource(f)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("config %s has no [[sources]]", config)
	}
	for _, s := range out {
		if err := s.Check(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseSource reads name:vendor[:cred]: cred is user:pass, or key=value pairs separated
// by commas (user, pass, token, secret, variant, tz).
func parseSource(s string) (sim.Source, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 || parts[0] == "" {
		return sim.Source{}, fmt.Errorf("-source %q: want name:vendor[:cred]", s)
	}
	src := sim.Source{Name: parts[0], Vendor: strings.ToLower(parts[1])}
	if len(parts) < 3 || parts[2] == "" {
		return src, nil
	}
	cred := parts[2]
	if !strings.Contains(cred, "=") {
		src.Username, src.Password, _ = strings.Cut(cred, ":")
		return src, nil
	}
	for _, kv := range strings.Split(cred, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.TrimSpace(k) {
		case "user":
			src.Username = v
		case "pass":
			src.Password = v
		case "token":
			src.Token = v
		case "secret":
			src.SigningSecret = v
		case "variant":
			src.Variant = v
		case "tz":
			if err := setZone(&src, v); err != nil {
				return src, err
			}
		default:
			return src, fmt.Errorf("-source %q: unknown key %q (want user, pass, token, secret, variant, tz)", s, k)
		}
	}
	return src, nil
}

func setZone(src *sim.Source, tz string) error {
	if tz == "" {
		return nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return fmt.Errorf("source %s: timezone: %w", src.Name, err)
	}
	src.Location = loc
	return nil
}

// applyVariants sets -variant values: "mix", a variant name (every source whose vendor
// has it) or name=variant.
func applyVariants(srcs []sim.Source, vs []string) error {
	for _, v := range vs {
		name, variant, one := strings.Cut(v, "=")
		if !one {
			name, variant = "", v
		}
		matched := false
		for i := range srcs {
			s := &srcs[i]
			has := variant == sim.VariantMix
			for _, x := range sim.Variants(s.Vendor) {
				has = has || x == variant
			}
			if (one && s.Name == name) || (!one && has) {
				s.Variant, matched = variant, true
				if err := s.Check(); err != nil {
					return err
				}
			}
		}
		if !matched {
			return fmt.Errorf("-variant %q matches no source", v)
		}
	}
	return nil
}
