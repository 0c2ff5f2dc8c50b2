package ingest

import "time"

// testReceived is the receive time every fixture is decoded at.
var testReceived = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// TestReceived lets the package's external tests (decode_test.go) decode at it too.
var TestReceived = testReceived

// fixtureSource is the registered fixture source of that name. This package's own
// tests read the registry: ingesttest.Sources imports this package.
func fixtureSource(name string) Source {
	for _, v := range Registered() {
		for _, s := range v.FixtureSources() {
			if s.Name == name {
				return s
			}
		}
	}
	panic("no fixture source " + name)
}
