package config

import (
	"fmt"
	"strings"
	"time"
)

// keyAt names where a key is, for an error: the file and line when the configuration
// came from a file, else "config: table[i].key". table is "" for a top-level key.
type keyAt = func(table string, i int, key string) string

// checks validate the configuration one concern at a time, in this order, and fill
// derived fields and defaults; the first error stops them. A new key gets its own
// function (in the file of its feature) and one line here.
var checks = []func(*Config, keyAt) error{
	(*Config).fillDefaults,
	(*Config).checkLogFormat,
	(*Config).checkRetention,
	(*Config).checkLanguages,
	(*Config).checkTrustedProxies,
	(*Config).checkSources,
	(*Config).checkUsers,
	(*Config).checkAgents,
	(*Config).checkQueues,
}

// check validates the configuration and fills derived fields. at, if set, gives the
// file position of a key so errors can point at it.
func (c *Config) check(at keyAt) error {
	if at == nil {
		at = keyPath
	}
	for _, check := range checks {
		if err := check(c, at); err != nil {
			return err
		}
	}
	return nil
}

// keyPath names a key by its path, for configurations built in code.
func keyPath(table string, i int, key string) string {
	if table == "" {
		return "config: " + key
	}
	return fmt.Sprintf("config: %s[%d].%s", table, i, key)
}

// fillDefaults sets the top-level keys left out to their defaults.
func (c *Config) fillDefaults(keyAt) error {
	if c.CallExpiry.Duration <= 0 {
		c.CallExpiry.Duration = 4 * time.Hour
	}
	if c.ClockTolerance.Duration <= 0 {
		c.ClockTolerance.Duration = 10 * time.Minute
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = 20000
	}
	if c.MemoryLimitMB == 0 {
		c.MemoryLimitMB = 512
	}
	if len(c.PauseReasons) == 0 {
		c.PauseReasons = []string{"Break", "Lunch", "Training", "Meeting"}
	}
	if c.TVPageS <= 0 {
		c.TVPageS = 10
	}
	if c.EndedCardS <= 0 {
		c.EndedCardS = 30
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = 1000
	}
	return nil
}

func (c *Config) checkLogFormat(at keyAt) error {
	switch c.LogFormat {
	case "", "text", "json":
		return nil
	}
	return fmt.Errorf("%s: log_format %q unknown (text or json)", at("", 0, "log_format"), c.LogFormat)
}

// checkTrustedProxies parses trusted_proxies into Proxies.
func (c *Config) checkTrustedProxies(at keyAt) error {
	c.Proxies = nil
	for _, p := range c.TrustedProxies {
		n, err := parseNet(p)
		if err != nil {
			return fmt.Errorf("%s: %q is not an IP or CIDR", at("", 0, "trusted_proxies"), p)
		}
		c.Proxies = append(c.Proxies, n)
	}
	return nil
}

// checkUsers checks each [[users]] entry: a unique name, a known role, a way to log in,
// and an agent id for role agent (their language and zone: checkLanguages).
func (c *Config) checkUsers(at keyAt) error {
	users := map[string]bool{}
	for i := range c.Users {
		u := &c.Users[i]
		if u.Name == "" {
			return fmt.Errorf("%s: user without a name", at("users", i, "name"))
		}
		if users[u.Name] {
			return fmt.Errorf("%s: user %q is defined twice", at("users", i, "name"), u.Name)
		}
		users[u.Name] = true
		if !contains(Roles, u.Role) {
			return fmt.Errorf("%s: role %q unknown (one of %s)", at("users", i, "role"), u.Role, strings.Join(Roles, ", "))
		}
		if u.Password == "" && u.PasswordHash == "" && u.APIKey == "" {
			return fmt.Errorf("%s: user %q needs password, password_hash or api_key", at("users", i, "name"), u.Name)
		}
		if u.Role == "agent" && u.Agent == "" {
			return fmt.Errorf("%s: user %q has role agent but no agent id", at("users", i, "agent"), u.Name)
		}
	}
	return nil
}

// checkAgents checks the directory: every entry has an id, its identities are
// source:identity and its queues source:queue.
func (c *Config) checkAgents(at keyAt) error {
	for i, a := range c.Agents {
		if a.ID == "" {
			return fmt.Errorf("%s: agent without an id", at("agents", i, "id"))
		}
		for _, m := range a.Match {
			if !strings.Contains(m, ":") {
				return fmt.Errorf("%s: %q must be source:identity", at("agents", i, "match"), m)
			}
		}
		for _, q := range a.Queues {
			if src, name, ok := strings.Cut(q, ":"); !ok || src == "" || name == "" {
				return fmt.Errorf("%s: %q must be source:queue", at("agents", i, "queues"), q)
			}
		}
	}
	return nil
}

// checkQueues checks [[queues]] entry points: a queue with entry_points names its
// source, and one entry point leads into one queue only.
func (c *Config) checkQueues(at keyAt) error {
	entries := map[string]string{}
	for i, q := range c.Queues {
		src, _, ok := strings.Cut(q.ID, ":")
		if len(q.EntryPoints) > 0 && !ok {
			return fmt.Errorf("%s: queue %q with entry_points needs an id source:queue", at("queues", i, "id"), q.ID)
		}
		for _, ep := range q.EntryPoints {
			key := src + ":" + strings.TrimSpace(ep)
			if other, dup := entries[key]; dup && other != q.ID {
				return fmt.Errorf("%s: entry point %q already leads into queue %q", at("queues", i, "entry_points"), ep, other)
			}
			entries[key] = q.ID
		}
	}
	return nil
}
