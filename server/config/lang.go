package config

import (
	"fmt"
	"time"

	"ringside/views/i18n"
)

// checkLanguages validates the top-level lang and each user's lang and timezone.
func (c *Config) checkLanguages(at keyAt) error {
	if c.Lang != "" && !i18n.Known(c.Lang) {
		return fmt.Errorf("%s: lang %q unknown (one of %s)", at("", 0, "lang"), c.Lang, languageList())
	}
	for i := range c.Users {
		u := &c.Users[i]
		if u.Lang != "" && !i18n.Known(u.Lang) {
			return fmt.Errorf("%s: lang %q unknown (one of %s)", at("users", i, "lang"), u.Lang, languageList())
		}
		u.Location = nil
		if u.Timezone != "" {
			loc, err := time.LoadLocation(u.Timezone)
			if err != nil {
				return fmt.Errorf("%s: unknown time zone %q", at("users", i, "timezone"), u.Timezone)
			}
			u.Location = loc
		}
	}
	return nil
}

func languageList() string {
	s := ""
	for i, l := range i18n.Supported {
		if i > 0 {
			s += ", "
		}
		s += l.Code
	}
	return s
}
