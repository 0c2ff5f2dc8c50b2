// Command ringside-bench measures a Ringside server: it builds and starts the server as a
// child process in a temporary data directory (or targets one given by -url), drives it
// over loopback HTTP with the simulator's real vendor payloads, holds WebSocket clients,
// and prints a table (or, with -json, one JSON object).
//
//	go run ./cmd/ringside-bench             # the quick form, under a minute
//	go run ./cmd/ringside-bench -full       # the targets' sizes
//	go run ./cmd/ringside-bench -json -cdrs 100000
//	go run ./cmd/ringside-bench -url http://127.0.0.1:8080 -config ringside.toml -pid 1234
//
// It exits non-zero only when the benchmark itself failed, never for a missed target.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if floorChild() {
		return
	}
	if os.Getenv("GOGC") == "" {
		// The load generator's own GC pauses would show up as server latency: the
		// client holds thousands of sockets and allocates per frame. The server keeps
		// its default.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	url, config, bin  string
	pid               int
	json, full, keep  bool
	duration, pushFor time.Duration
	conns             int
	agents, walls     int
	rate              float64
	sockets           int
	cdrs, events      int
	searches          int
	crashRounds       int
	pushRuns          int
	only              map[string]bool // phases to run; nil: all
	log               io.Writer       // progress lines
}

// quick and full sizes; flags given explicitly win over both.
var (
	quickSizes = map[string]string{"duration": "4s", "push-for": "5s", "agents": "200", "wallboards": "10",
		"rate": "200", "sockets": "1000", "cdrs": "20000", "events": "20000", "searches": "100",
		"crash-rounds": "3", "push-runs": "1"}
	fullSizes = map[string]string{"duration": "10s", "push-for": "20s", "agents": "2000", "wallboards": "100",
		"rate": "500", "sockets": "10000", "cdrs": "1000000", "events": "1000000", "searches": "300",
		"crash-rounds": "20", "push-runs": "5"}
)

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("ringside-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "benchmark a running server at this base URL instead of starting one (needs -config)")
	fs.StringVar(&o.config, "config", "", "with -url: the server's TOML config, for source credentials and logins")
	fs.IntVar(&o.pid, "pid", 0, "with -url: the server's process id, to read its memory")
	fs.StringVar(&o.bin, "bin", "", "ringside binary to start (default: go build ./cmd/ringside into the temp dir)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object instead of the table")
	fs.BoolVar(&o.full, "full", false, "run the targets' sizes (several minutes)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (data, logs) and print where it is")
	fs.DurationVar(&o.duration, "duration", 0, "intake and floor: how long each is loaded")
	fs.DurationVar(&o.pushFor, "push-for", 0, "push latency: how long ringing calls are sent")
	fs.IntVar(&o.conns, "conns", 256, "intake and floor: concurrent keep-alive connections")
	fs.IntVar(&o.agents, "agents", 0, "agent WebSocket clients (one agent user each)")
	fs.IntVar(&o.walls, "wallboards", 0, "wallboard WebSocket clients")
	fs.Float64Var(&o.rate, "rate", 0, "push latency: webhook deliveries per second (each call is 6 Simotel deliveries)")
	fs.IntVar(&o.sockets, "sockets", 0, "WebSocket clients held at once for the memory figure (agents and wallboards included)")
	fs.IntVar(&o.cdrs, "cdrs", 0, "CDRs stored before the search and CSV figures")
	fs.IntVar(&o.events, "events", 0, "events in the log before the recovery figure")
	fs.IntVar(&o.searches, "searches", 0, "CDR searches timed")
	fs.IntVar(&o.crashRounds, "crash-rounds", 0, "crash loop: kill -9 rounds under load")
	fs.IntVar(&o.pushRuns, "push-runs", 0, "push latency: runs, each timed on its own (push_p99_ms is the worst)")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	only := fs.String("only", "", "run only these phases, comma-separated: intake, push, cdrs, recovery (the history), crashloop")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	sizes := quickSizes
	if o.full {
		sizes = fullSizes
	}
	for name, v := range sizes {
		if !set[name] {
			if err := fs.Set(name, v); err != nil {
				return nil, err
			}
		}
	}
	if o.url != "" && o.config == "" {
		return nil, errors.New("-url needs -config (the server's sources and users)")
	}
	if o.agents < 1 || o.rate <= 0 || o.conns < 1 || o.duration <= 0 || o.pushFor <= 0 || o.searches < 1 || o.crashRounds < 1 || o.pushRuns < 1 {
		return nil, errors.New("-agents, -rate, -conns, -duration, -push-for, -searches, -crash-rounds and -push-runs must be positive")
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, p := range strings.Split(*only, ",") {
			if !slices.Contains(phases, p) {
				return nil, fmt.Errorf("-only: no phase %q (%s)", p, strings.Join(phases, ", "))
			}
			o.only[p] = true
		}
	}
	o.log = stderr
	if *quiet || o.json {
		o.log = io.Discard
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ringside-bench:", err)
		return 2
	}
	res, err := runBench(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "ringside-bench:", err)
		return 1
	}
	if o.json {
		if err := printJSON(stdout, res); err != nil {
			return 1
		}
		return 0
	}
	printTable(stdout, o, res)
	return 0
}

// progress prints one line of what the benchmark is doing.
func (o *options) progress(format string, args ...any) {
	fmt.Fprintf(o.log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
