package server

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"ringside/views/i18n"
)

// said is a refusal or failure people read: a catalog key and its fields. Its Error()
// is the English text (for the log and the JSON API, which speak English); toasts
// and pages say it in the person's language (sayIn).
type said struct {
	key  string
	kv   []any
	base error // what it wraps, for errors.Is and errors.As
}

// say is the message key with its {{.Fields}} as name, value pairs.
func say(key string, kv ...any) *said { return &said{key: key, kv: kv} }

// wrapping is e wrapping err: errors.Is(e, err) holds.
func (e *said) wrapping(err error) *said { return &said{key: e.key, kv: e.kv, base: err} }

func (e *said) Error() string { return e.in(i18n.New("en", nil)) }

func (e *said) Unwrap() error { return e.base }

func (e *said) in(l *i18n.Locale) string { return l.T(e.key, e.kv...) }

// sayIn is err as l's reader reads it: a said error in their language, any other as
// it is (the PBX's own words, or a failure without a catalog entry).
func sayIn(l *i18n.Locale, err error) string {
	var s *said
	if errors.As(err, &s) {
		return s.in(l)
	}
	return err.Error()
}

// plain answers a request a person may see as plain text (a recording link opened
// in a tab, a refused form): the message in their language.
func plain(c *fiber.Ctx, code int, key string, kv ...any) error {
	return c.Status(code).SendString(localeOf(c).T(key, kv...))
}

// toastSaid answers a button's htmx request with err in the person's language.
func toastSaid(c *fiber.Ctx, code int, err error) error {
	return toast(c, code, sayIn(localeOf(c), err))
}
