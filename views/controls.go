package views

import (
	"strings"

	"ringside/server/call"
)

// dialable says whether a call button may offer number: what any source dials without
// its own dial_pattern (digits, an optional "+"). "anonymous", SIP addresses and
// feature codes get no button that could only fail.
func dialable(number string) bool {
	return call.DefaultDial.MatchString(strings.TrimSpace(number))
}
