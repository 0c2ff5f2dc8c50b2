package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"ringside/server/config"
	"ringside/server/live"
	"ringside/server/report"
	"ringside/server/sim"
)

// creds is what the benchmark needs to know about a server's configuration: the
// webhook sources, an admin API key, a supervisor login and the agent logins.
type creds struct {
	sources   []sim.Source
	push      sim.Source // the Simotel source ringing calls come from
	apiKey    string
	super     login
	agents    []agentLogin
	passHash  string // bcrypt of every generated password (minimum cost: logins stay cheap)
	snapEvery int
}

type login struct{ user, pass string }

// agentLogin is an agent user and the Simotel extension whose calls pop up at them.
type agentLogin struct {
	login
	agent, ext string
}

const benchPassword = "bench-password"

// localCreds makes the configuration of a server the benchmark starts: a source per
// vendor (each with its own kind of credential), an admin, a supervisor, and n agent
// users, agent i being the directory entry matching Simotel extension 10000+i.
func localCreds(n int) (*creds, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(benchPassword), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	loc := func(name string) *time.Location {
		l, err := time.LoadLocation(name)
		if err != nil {
			return time.UTC
		}
		return l
	}
	c := &creds{
		sources: []sim.Source{
			{Name: "pbx", Vendor: "simotel", Username: "hook", Password: "pw-pbx", Location: loc("Asia/Tehran"), Variant: sim.VariantMix},
			{Name: "ipex", Vendor: "voipex", Username: "hook", Password: "pw-ipex", Location: loc("Europe/Prague"), Variant: sim.VariantMix},
			{Name: "cloud", Vendor: "cloudcdr", Token: "tok-cloud", Variant: sim.VariantMix},
			{Name: "sipsim", Vendor: "sipsim", SigningSecret: "sipsim-secret", Location: loc("Europe/Minsk"), Variant: sim.VariantMix},
		},
		apiKey:   "bench-admin-key",
		super:    login{"boss", benchPassword},
		passHash: string(hash),
	}
	c.push = c.sources[0]
	c.push.Variant = "g4-json"
	for i := 1; i <= n; i++ {
		c.agents = append(c.agents, agentLogin{login: login{fmt.Sprintf("a%05d", i), benchPassword},
			agent: fmt.Sprintf("agent%05d", i), ext: fmt.Sprint(10000 + i)})
	}
	return c, nil
}

// toml is the server's configuration file for listen address addr and data dir data.
func (c *creds) toml(addr, data string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen = %q\ndata = %q\n", addr, data)
	b.WriteString("max_conns_per_ip = -1\n") // every benchmark socket comes from one address
	if c.snapEvery > 0 {
		fmt.Fprintf(&b, "snapshot_every = %d\n", c.snapEvery)
	}
	for _, s := range c.sources {
		fmt.Fprintf(&b, "\n[[sources]]\nname = %q\nvendor = %q\nrate_limit = -1\n", s.Name, s.Vendor)
		if s.Username != "" {
			fmt.Fprintf(&b, "username = %q\npassword = %q\n", s.Username, s.Password)
		}
		if s.Token != "" {
			fmt.Fprintf(&b, "token = %q\n", s.Token)
		}
		if s.SigningSecret != "" {
			fmt.Fprintf(&b, "signing_secret = %q\n", s.SigningSecret)
		}
		if s.Location != nil && s.Location != time.UTC {
			fmt.Fprintf(&b, "timezone = %q\n", s.Location.String())
		}
	}
	fmt.Fprintf(&b, "\n[[users]]\nname = \"admin\"\nrole = \"admin\"\napi_key = %q\npassword_hash = %q\n", c.apiKey, c.passHash)
	fmt.Fprintf(&b, "\n[[users]]\nname = %q\nrole = \"supervisor\"\npassword_hash = %q\n", c.super.user, c.passHash)
	for _, a := range c.agents {
		fmt.Fprintf(&b, "\n[[users]]\nname = %q\nrole = \"agent\"\nagent = %q\npassword_hash = %q\n", a.user, a.agent, c.passHash)
	}
	for _, a := range c.agents {
		fmt.Fprintf(&b, "\n[[agents]]\nid = %q\nname = \"Agent %s\"\nmatch = [\"%s:%s\"]\n", a.agent, a.ext, c.push.Name, a.ext)
	}
	return b.String()
}

// reportRules are the server's report rules under this configuration: the default
// queue thresholds and the [[agents]] directory toml writes.
func (c *creds) reportRules() report.Rules {
	lc := live.Config{Default: live.QueueConfig{SLThresholdS: 20, AbandonAfterS: 5}}
	for _, a := range c.agents {
		lc.Directory = append(lc.Directory, live.DirectoryEntry{ID: a.agent, Name: "Agent " + a.ext, Match: []string{c.push.Name + ":" + a.ext}})
	}
	return report.RulesOf(lc)
}

// zone is where people's dates are: the first source with a time zone, as the server
// decides (the CSV export's date filter).
func (c *creds) zone() *time.Location {
	for _, s := range c.sources {
		if s.Location != nil && s.Location != time.UTC {
			return s.Location
		}
	}
	return time.Local
}

// remoteCreds reads a running server's configuration file (-url mode). Users need
// plain passwords to be logged in; agents need a directory entry with a Simotel
// extension ("source:ext" of a simotel source) to be rung.
func remoteCreds(path string) (*creds, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	cfg, err := config.Load([]string{"-config", path}, func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	c := &creds{}
	for _, s := range cfg.Sources {
		c.sources = append(c.sources, sim.Source{Name: s.Name, Vendor: s.Vendor, Username: s.Username, Password: s.Password,
			Token: s.Token, SigningSecret: s.SigningSecret, Location: s.Location, KeyMap: s.KeyMap, Variant: sim.VariantMix})
		if s.Vendor == "simotel" && c.push.Name == "" {
			c.push = c.sources[len(c.sources)-1]
			c.push.Variant = "g4-json"
		}
	}
	exts := map[string]string{} // agent id → simotel extension
	for _, a := range cfg.Agents {
		for _, m := range a.Match {
			if src, ext, _ := strings.Cut(m, ":"); src == c.push.Name && c.push.Name != "" {
				exts[a.ID] = ext
			}
		}
	}
	for _, u := range cfg.Users {
		switch {
		case u.Role == "admin" && u.APIKey != "" && c.apiKey == "":
			c.apiKey = u.APIKey
		case (u.Role == "supervisor" || u.Role == "admin") && u.Password != "" && c.super.user == "":
			c.super = login{u.Name, u.Password}
		case u.Role == "agent" && u.Password != "" && exts[u.Agent] != "":
			c.agents = append(c.agents, agentLogin{login: login{u.Name, u.Password}, agent: u.Agent, ext: exts[u.Agent]})
		}
	}
	switch {
	case c.push.Name == "":
		return nil, fmt.Errorf("%s: no simotel source to ring agents through", path)
	case c.apiKey == "":
		return nil, fmt.Errorf("%s: no admin user with an api_key (for the CDR search)", path)
	case c.super.user == "":
		return nil, fmt.Errorf("%s: no supervisor or admin user with a password (for the CSV export)", path)
	case len(c.agents) == 0:
		return nil, fmt.Errorf("%s: no agent user with a password whose agent matches a %s extension", path, c.push.Name)
	}
	return c, nil
}
