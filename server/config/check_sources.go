package config

import (
	"fmt"
	"strings"
	"time"

	"ringside/server/ingest"
)

// sourceChecks validate one [[sources]] entry, one concern each, in this order, after
// its name (checkSources). A new source key gets its own function and one line here;
// at names the key's position for the error.
var sourceChecks = []func(*Source, func(key string) string) error{
	(*Source).checkVendor,
	(*Source).checkCredentials,
	(*Source).checkTimezone,
	(*Source).checkAllowIPs,
	(*Source).fillLimits,
	(*Source).checkSecurity,
	(*Source).checkAPI,
}

// checkSources checks that every source has a unique name usable in its URL, then runs
// sourceChecks on it.
func (c *Config) checkSources(at keyAt) error {
	names := map[string]bool{}
	for i := range c.Sources {
		s := &c.Sources[i]
		if !validName.MatchString(s.Name) {
			return fmt.Errorf("%s: source name %q must be letters, digits, '-' or '_'", at("sources", i, "name"), s.Name)
		}
		if names[s.Name] {
			return fmt.Errorf("%s: source %q is defined twice", at("sources", i, "name"), s.Name)
		}
		names[s.Name] = true
		sourceAt := func(key string) string { return at("sources", i, key) }
		for _, check := range sourceChecks {
			if err := check(s, sourceAt); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Source) checkVendor(at func(key string) string) error {
	s.Vendor = strings.ToLower(s.Vendor)
	if !ingest.Known(s.Vendor) {
		return fmt.Errorf("%s: vendor %q unknown (one of %s)", at("vendor"), s.Vendor, strings.Join(ingest.Vendors(), ", "))
	}
	return nil
}

// checkCredentials demands a way to tell the PBX's deliveries from anyone else's.
func (s *Source) checkCredentials(at func(key string) string) error {
	if s.Username == "" && s.Token == "" && s.SigningSecret == "" && len(s.AllowIPs) == 0 {
		return fmt.Errorf("%s: source %q has no credentials: set username/password, token, signing_secret or allow_ips", at("name"), s.Name)
	}
	if (s.Username == "") != (s.Password == "") {
		return fmt.Errorf("%s: source %q needs both username and password", at("username"), s.Name)
	}
	return nil
}

// checkTimezone loads the zone of the vendor's times without one (UTC by default).
func (s *Source) checkTimezone(at func(key string) string) error {
	s.Location = time.UTC
	if s.Timezone != "" {
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			return fmt.Errorf("%s: unknown time zone %q", at("timezone"), s.Timezone)
		}
		s.Location = loc
	}
	return nil
}

// checkAllowIPs parses allow_ips into Nets.
func (s *Source) checkAllowIPs(at func(key string) string) error {
	s.Nets = nil
	for _, cidr := range s.AllowIPs {
		n, err := parseNet(cidr)
		if err != nil {
			return fmt.Errorf("%s: %q is not an IP or CIDR", at("allow_ips"), cidr)
		}
		s.Nets = append(s.Nets, n)
	}
	return nil
}

// fillLimits sets the defaults of rate_limit and max_open_calls.
func (s *Source) fillLimits(func(key string) string) error {
	if s.RateLimit == 0 {
		s.RateLimit = 2000
	}
	if s.MaxOpenCalls <= 0 {
		s.MaxOpenCalls = 5000
	}
	return nil
}

// checkAPI accepts [sources.api] on simotel sources only and defaults its context.
func (s *Source) checkAPI(at func(key string) string) error {
	if s.API == nil {
		return nil
	}
	if s.Vendor != "simotel" {
		return fmt.Errorf("%s: [sources.api] is for simotel sources only", at("api"))
	}
	if s.API.Context == "" {
		s.API.Context = "main_routing"
	}
	return nil
}
