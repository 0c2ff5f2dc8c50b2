package call

import "regexp"

// DefaultDial is what a number may be when a source dials it without its own
// dial_pattern: digits with an optional leading "+", no feature codes ("*", "#").
// The config check uses it as each source's default; the pages offer a call button
// only for numbers it accepts, so no button is shown that could only fail.
var DefaultDial = regexp.MustCompile(`^\+?[0-9]{2,20}$`)
