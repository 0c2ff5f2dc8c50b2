package config

import (
	"fmt"
	"time"
)

// Retention of the log. Raw deliveries (the bodies as received, accepted and
// rejected) are kept raw_retention_days (default 90); events are kept
// event_retention_days, by default as long as the CDRs (cdr_retention_days), since a
// late record re-folds its call from its events (shorter is allowed: such a CDR then
// keeps what it had); 0 there keeps them forever. A negative value keeps them forever.
const defaultRawRetentionDays = 90

func (c *Config) checkRetention(at func(table string, i int, key string) string) error {
	if c.RawRetentionDays == 0 {
		c.RawRetentionDays = defaultRawRetentionDays
	}
	if c.EventRetentionDays == 0 {
		c.EventRetentionDays = max(c.CDRRetentionDays, 0)
	}
	if c.EventRetentionDays > 0 && c.EventRetentionDays < 3 {
		// the board keeps two days of ended calls and replays the log after its snapshot
		return fmt.Errorf("%s: %d days; the board needs at least 3", at("", 0, "event_retention_days"), c.EventRetentionDays)
	}
	return nil
}

// days is n days, or 0 (forever) for n <= 0.
func days(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(n) * 24 * time.Hour
}

// RawRetention is how long raw deliveries are kept (0: forever).
func (c *Config) RawRetention() time.Duration { return days(c.RawRetentionDays) }

// EventRetention is how long events are kept (0: forever).
func (c *Config) EventRetention() time.Duration { return days(c.EventRetentionDays) }
