package config

import (
	"fmt"
	"regexp"
	"ringside/server/call"
	"strings"
)

// checkSecurity validates a source's recording_hosts and dial_pattern; at names a key's
// position for the error.
func (s *Source) checkSecurity(at func(key string) string) error {
	for _, h := range s.RecordingHosts {
		name := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(h), "http://"), "https://")
		if name == "" || strings.ContainsAny(name, "/:@?# \t\r\n*") {
			return fmt.Errorf("%s: %q must be a host name, optionally prefixed with http:// to allow plain http", at("recording_hosts"), h)
		}
	}
	s.Dial = call.DefaultDial
	if s.DialPattern != "" {
		re, err := regexp.Compile(`^(?:` + s.DialPattern + `)$`)
		if err != nil {
			return fmt.Errorf("%s: %v", at("dial_pattern"), err)
		}
		s.Dial = re
	}
	return nil
}
