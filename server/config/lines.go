package config

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// lineFinder returns a function that names the file line of key in the i-th entry of
// an array of tables ([[table]]), or of the entry's header when the key is absent.
// table "" is the top level.
func lineFinder(path, text string) func(table string, i int, key string) string {
	lines := strings.Split(text, "\n")
	return func(table string, i int, key string) string {
		if table == "" {
			return topLevelLine(path, lines, key)
		}
		n, header := 0, -1
		for ln, l := range lines {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "[[") && strings.Trim(t, "[] ") == table {
				if n == i {
					header = ln
					break
				}
				n++
			}
		}
		if header < 0 {
			return fmt.Sprintf("config %s: %s[%d].%s", path, table, i, key)
		}
		for ln := header + 1; ln < len(lines); ln++ {
			t := strings.TrimSpace(lines[ln])
			if strings.HasPrefix(t, "[[") {
				break
			}
			if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
				return fmt.Sprintf("config %s:%d", path, ln+1)
			}
		}
		return fmt.Sprintf("config %s:%d", path, header+1)
	}
}

// topLevelLine names the line of a top-level key (before the first table header).
func topLevelLine(path string, lines []string, key string) string {
	for ln, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			break
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
			return fmt.Sprintf("config %s:%d", path, ln+1)
		}
	}
	return fmt.Sprintf("config %s: %s", path, key)
}

// lineOfKey finds the line of an unknown key (its last part), 0 if not found.
func lineOfKey(text string, k toml.Key) int {
	last := k[len(k)-1]
	for ln, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if kk, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(kk), `"`) == last {
			return ln + 1
		}
		if strings.Trim(t, "[] ") == k.String() {
			return ln + 1
		}
	}
	return 0
}
