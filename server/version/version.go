// Package version names the running build: what `ringside version`, /healthz and the
// page footer show.
package version

import (
	"runtime/debug"
	"sync"
)

// Version is set at link time for releases:
//
//	go build -ldflags "-X ringside/server/version.Version=1.4.0" ./cmd/ringside
//
// Left empty, String falls back to the module version and VCS revision Go records in
// the binary (a `go build` inside a git checkout), else "dev".
var Version string

var once = sync.OnceValue(func() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && v == "dev" {
		return "dev-" + rev + dirty
	}
	return v
})

// String is the version of this binary.
func String() string { return once() }
