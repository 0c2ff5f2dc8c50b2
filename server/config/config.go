// Package config reads Ringside's configuration: flags, RINGSIDE_* environment variables
// and an optional TOML file, with zero-config defaults (one webhook source per vendor and
// an admin user, their secrets generated once and kept in the data directory).
package config

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"ringside/server/ingest"
)

// Config is the whole configuration.
type Config struct {
	Listen    string   `toml:"listen"`
	Data      string   `toml:"data"`
	PublicURL string   `toml:"public_url"`
	Demo      bool     `toml:"demo"`
	Sources   []Source `toml:"sources"`
	Users     []User   `toml:"users"`
	Agents    []Agent  `toml:"agents"`
	Queues    []Queue  `toml:"queues"`
	// CallExpiry ends calls that never received their end (default 4h).
	CallExpiry Duration `toml:"call_expiry"`
	// ClockTolerance is how far a vendor's event time may be from the time Ringside
	// received it before the live board goes by the receive time (default 10m; the
	// vendor's times stay in the log).
	ClockTolerance Duration `toml:"clock_tolerance"`
	// CDRRetentionDays drops older CDRs (0 keeps them forever).
	CDRRetentionDays int `toml:"cdr_retention_days"`
	// RawRetentionDays and EventRetentionDays bound the log; see retention.go.
	RawRetentionDays   int `toml:"raw_retention_days"`
	EventRetentionDays int `toml:"event_retention_days"`
	// SnapshotEvery is how many applied events trigger a board snapshot (default 20000;
	// one is also taken every 30 s and at shutdown; while the board catches up after a
	// start, only every 30 s). Bounds the replay at start.
	SnapshotEvery int `toml:"snapshot_every"`
	// MemoryLimitMB is the memory the server keeps within once caught up (default 512),
	// unless its board alone needs more: Go's soft memory limit, at least a quarter above
	// the live heap. -1 leaves Go's default (and GOMEMLIMIT, when set, wins).
	MemoryLimitMB int `toml:"memory_limit_mb"`
	// Wallboard thresholds: a queue tile turns red above this longest wait or below this
	// service level (defaults 120 s and 60 %).
	RedWaitS float64 `toml:"red_wait_s"`
	RedSLPct float64 `toml:"red_sl_pct"`
	// PauseReasons agents choose from (default Break, Lunch, Training, Meeting).
	PauseReasons []string `toml:"pause_reasons"`
	// TVPageS is how long the TV wallboard shows each page of agents, calls and queue
	// tiles when they do not all fit the screen (default 10 s).
	TVPageS float64 `toml:"tv_page_s"`
	// EndedCardS is how long a call that ended keeps its open card on the agent's page
	// before it folds into their recent calls (default 30 s); one ended card at most.
	EndedCardS float64 `toml:"ended_card_s"`
	// Lang is the language of people whose own choice and browser name none Ringside
	// speaks (default en).
	Lang string `toml:"lang"`
	// LogFormat is "text" (default) or "json" (one JSON object a line, for log shippers).
	LogFormat string `toml:"log_format"`
	// MetricsToken lets a scraper read /metrics with "Authorization: Bearer <token>"
	// and nothing else.
	MetricsToken string `toml:"metrics_token"`
	// TrustedProxies are the reverse proxies (IPs or CIDRs) whose X-Forwarded-For is
	// believed: behind them, allow_ips and rate limits see the client's address.
	TrustedProxies []string `toml:"trusted_proxies"`
	// MaxConnsPerIP caps the connections one client address may hold open (default
	// 1000; negative = none). Behind a reverse proxy every client has the proxy's address.
	MaxConnsPerIP int `toml:"max_conns_per_ip"`

	File      string `toml:"-"` // the config file read, if any
	Generated string `toml:"-"` // the file holding generated secrets, if defaults were used
	// JustGenerated is set when this start created Generated: the only time its secrets
	// are printed.
	JustGenerated bool `toml:"-"`
	// SourcesGenerated is set when the sources are the generated ones (their zone is
	// the server's, see LocalZoneName).
	SourcesGenerated bool `toml:"-"`
	// DataDefaulted is set when no -data, RINGSIDE_DATA or data key chose the directory.
	DataDefaulted bool `toml:"-"`
	// ShowVersion: -version was given (print the version and exit).
	ShowVersion bool         `toml:"-"`
	Proxies     []*net.IPNet `toml:"-"` // TrustedProxies parsed
}

// DemoData is the data directory -demo uses unless one is chosen, so simulated calls
// never mix with real ones.
const DemoData = "data-demo"

// Source is a PBX that sends us webhooks at /hooks/{name}.
type Source struct {
	Name          string            `toml:"name"`
	Vendor        string            `toml:"vendor"`
	Username      string            `toml:"username,omitempty"`
	Password      string            `toml:"password,omitempty"`
	Token         string            `toml:"token,omitempty"`
	SigningSecret string            `toml:"signing_secret,omitempty"`
	AllowIPs      []string          `toml:"allow_ips,omitempty"`
	Timezone      string            `toml:"timezone,omitempty"`
	KeyMap        map[string]string `toml:"key_map,omitempty"`    // VOIPEX renamed keys: theirs → default
	RateLimit     float64           `toml:"rate_limit,omitempty"` // deliveries per second (default 2000; negative = none)
	API           *API              `toml:"api,omitempty"`
	// RecordingHosts lists the hosts its recording URLs may redirect to ("http://host"
	// also allows plain http there); empty means any https host.
	RecordingHosts []string `toml:"recording_hosts,omitempty"`
	// DialPattern is a regular expression every number dialled through this source
	// must match whole (click-to-call); default digits with an optional leading "+".
	DialPattern string `toml:"dial_pattern,omitempty"`
	// MaxOpenCalls caps the calls of this source the board keeps open (default 5000):
	// above it the oldest is ended with a logged expiry event.
	MaxOpenCalls int `toml:"max_open_calls,omitempty"`

	Location *time.Location `toml:"-"`
	Nets     []*net.IPNet   `toml:"-"`
	Dial     *regexp.Regexp `toml:"-"` // DialPattern compiled, anchored
}

// API is a Simotel API endpoint Ringside calls (recordings, click-to-call, pause).
type API struct {
	URL      string `toml:"url"`
	Username string `toml:"username,omitempty"`
	Password string `toml:"password,omitempty"`
	APIKey   string `toml:"api_key,omitempty"`
	Context  string `toml:"context"`
}

// User is a person or an API client.
type User struct {
	Name         string `toml:"name"`
	Password     string `toml:"password,omitempty"`
	PasswordHash string `toml:"password_hash,omitempty"`
	Role         string `toml:"role"`
	Agent        string `toml:"agent,omitempty"`
	APIKey       string `toml:"api_key,omitempty"`
	// Lang is the person's language (en, fa, cs, fr, ru); empty: their browser's, else
	// the top-level lang. Their choice in the page header overrides it.
	Lang string `toml:"lang,omitempty"`
	// Timezone is where the person reads times (an IANA name); empty: the first
	// source's time zone, else the server's.
	Timezone string         `toml:"timezone,omitempty"`
	Location *time.Location `toml:"-"`
}

// Agent is a directory entry: one person, many vendor identities.
type Agent struct {
	ID    string   `toml:"id"`
	Name  string   `toml:"name"`
	Match []string `toml:"match"`
	// Queues the person belongs to where the PBX does not report membership ("source:queue").
	Queues []string `toml:"queues,omitempty"`
}

// Queue overrides metric thresholds for one queue (id "source:name").
type Queue struct {
	ID            string  `toml:"id"`
	Name          string  `toml:"name"`
	SLThresholdS  float64 `toml:"sl_threshold_s"`
	AbandonAfterS float64 `toml:"abandon_after_s"`
	RedWaitS      float64 `toml:"red_wait_s"`
	RedSLPct      float64 `toml:"red_sl_pct"`
	// EntryPoints are the Simotel entry_point values (DIDs, trunks) that lead into this
	// queue: a call arriving there waits in it before any agent's phone rings.
	EntryPoints []string `toml:"entry_points,omitempty"`
}

// Duration is a TOML string like "4h".
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	d.Duration = v
	return err
}

// Roles a user may have.
var Roles = []string{"admin", "supervisor", "manager", "agent"}

// Load reads the configuration from args (flags), the environment and the file they name.
func Load(args []string, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet("ringside", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv("RINGSIDE_" + strings.ToUpper(name)); v != "" {
			return v
		}
		return def
	}
	file := fs.String("config", env("config", ""), "TOML configuration file (env RINGSIDE_CONFIG)")
	listen := fs.String("listen", env("listen", ""), "listen address, default :8080 (env RINGSIDE_LISTEN)")
	data := fs.String("data", env("data", ""), "data directory, default ./data (env RINGSIDE_DATA)")
	demo := fs.Bool("demo", env("demo", "") == "1" || env("demo", "") == "true", "run the built-in simulator against this server, with data in ./"+DemoData+" unless -data says otherwise (env RINGSIDE_DEMO)")
	logFormat := fs.String("log-format", env("log_format", ""), "log lines as text (default) or json (env RINGSIDE_LOG_FORMAT)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c := &Config{ShowVersion: *showVersion}
	if *showVersion {
		return c, nil
	}
	if *file != "" {
		if err := c.readFile(*file); err != nil {
			return nil, err
		}
		c.File = *file
	}
	if *listen != "" {
		c.Listen = *listen
	}
	if *data != "" {
		c.Data = *data
	}
	if *demo {
		c.Demo = true
	}
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if *logFormat != "" {
		c.LogFormat = *logFormat
	}
	if c.Data == "" {
		c.Data, c.DataDefaulted = "data", true
		if c.Demo {
			c.Data = DemoData
		}
	}
	if len(c.Sources) == 0 || len(c.Users) == 0 {
		if err := c.generateDefaults(); err != nil {
			return nil, err
		}
	}
	if err := c.check(nil); err != nil {
		return nil, err
	}
	return c, nil
}

// readFile decodes a TOML file; errors name the file, the line and the key.
func (c *Config) readFile(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	md, err := toml.Decode(string(text), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("config %s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return fmt.Errorf("config %s: %v", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return fmt.Errorf("config %s:%d: unknown key %q", path, lineOfKey(string(text), k), k.String())
	}
	return c.check(lineFinder(path, string(text)))
}

// Check validates a configuration built in code (tests, tools) and fills derived fields.
func Check(c *Config) error { return c.check(nil) }

// parseNet reads an IP (a network of one) or a CIDR, IPv4 or IPv6.
func parseNet(cidr string) (*net.IPNet, error) {
	if !strings.Contains(cidr, "/") {
		if strings.Contains(cidr, ":") {
			cidr += "/128"
		} else {
			cidr += "/32"
		}
	}
	_, n, err := net.ParseCIDR(cidr)
	return n, err
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// generateDefaults fills in one source per vendor and an admin user. Their secrets are
// generated on the first start and kept in DATA/generated.toml, so a PBX configured with
// them keeps working after a restart.
func (c *Config) generateDefaults() error {
	path := filepath.Join(c.Data, "generated.toml")
	var g generated
	if _, err := os.Stat(path); err == nil {
		if _, err := toml.DecodeFile(path, &g); err != nil {
			return fmt.Errorf("config %s: %v (delete it to generate new secrets)", path, err)
		}
	} else {
		g = generated{
			Sources: defaultSources(),
			Users:   []User{{Name: "admin", Password: secret(), Role: "admin", APIKey: secret()}},
		}
		if err := os.MkdirAll(c.Data, 0o755); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		fmt.Fprintln(f, "# Generated by Ringside on first start: the default webhook sources and admin user.")
		fmt.Fprintln(f, "# Used while the config file defines no [[sources]] / [[users]]. Keep it secret.")
		err = toml.NewEncoder(f).Encode(g)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
		c.JustGenerated = true
	}
	if len(c.Sources) == 0 {
		c.Sources, c.SourcesGenerated = g.Sources, true
		// PBXs that send times without a zone send this server's local time, most
		// likely: the generated sources read them so (not as UTC), and say it at start.
		for i := range c.Sources {
			if c.Sources[i].Timezone == "" {
				c.Sources[i].Timezone = LocalZoneName()
			}
		}
	}
	if len(c.Users) == 0 {
		c.Users = g.Users
	}
	c.Generated = path
	return nil
}

// defaultSources are one source per registered vendor, named after it, with fresh
// credentials of the vendor's kind.
func defaultSources() []Source {
	var out []Source
	for _, v := range ingest.Registered() {
		s := Source{Name: v.Name, Vendor: v.Name}
		switch v.Auth {
		case ingest.AuthBasic:
			s.Username, s.Password = v.Name, secret()
		default:
			s.Token = secret()
		}
		out = append(out, s)
	}
	return out
}

// LocalZoneName is the IANA name of the server's local time zone: $TZ, else the
// /etc/localtime link's target, else /etc/timezone; "UTC" when none names it.
func LocalZoneName() string {
	if n := time.Local.String(); n != "Local" && n != "" {
		return n
	}
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(target, "zoneinfo/"); i >= 0 {
			if name := target[i+len("zoneinfo/"):]; name != "" {
				if _, err := time.LoadLocation(name); err == nil {
					return name
				}
			}
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		if name := strings.TrimSpace(string(b)); name != "" {
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	return "UTC"
}

func secret() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// generated is what DATA/generated.toml holds.
type generated struct {
	Sources []Source `toml:"sources"`
	Users   []User   `toml:"users"`
}

// Source returns the source named name.
func (c *Config) Source(name string) (*Source, bool) {
	for i := range c.Sources {
		if c.Sources[i].Name == name {
			return &c.Sources[i], true
		}
	}
	return nil, false
}

// HookURL is the full webhook URL of a source, for printing at start.
func (c *Config) HookURL(s *Source) string {
	base := c.PublicURL
	if base == "" {
		host, port, err := net.SplitHostPort(c.Listen)
		if err != nil {
			host, port = "localhost", "8080"
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	return HookURLAt(base, s)
}

// HookURLAt is a source's webhook URL under a base URL (the settings page uses the
// address the admin reached it by when no public_url is set).
func HookURLAt(base string, s *Source) string {
	u := strings.TrimRight(base, "/") + "/hooks/" + s.Name
	if s.Token != "" {
		u += "?token=" + s.Token
	}
	return u
}
