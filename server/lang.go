package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/config"
	"ringside/server/hub"
	"ringside/views/i18n"
)

// A person's language is, first found: their choice in the page header (kept in the
// store, and in a cookie so the sign-in page speaks it too), their [[users]] lang,
// the browser's Accept-Language, the top-level lang, English. Their zone is their
// [[users]] timezone, else the first source's, else the server's.
const (
	langCookie = "ringside_lang"
	langPref   = "lang"
)

// langPrefs caches the people's kept language choices.
type langPrefs struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *Server) prefLang(user string) string {
	s.langs.mu.Lock()
	v, ok := s.langs.m[user]
	s.langs.mu.Unlock()
	if ok {
		return v
	}
	v, err := s.store.Pref(user, langPref)
	if err != nil {
		return "" // store unavailable: fall back without caching
	}
	s.langs.mu.Lock()
	if s.langs.m == nil {
		s.langs.m = map[string]string{}
	}
	s.langs.m[user] = v
	s.langs.mu.Unlock()
	return v
}

// langOf is the language of the request (u nil: nobody signed in).
func (s *Server) langOf(c *fiber.Ctx, u *config.User) string {
	if u != nil {
		if v := s.prefLang(u.Name); i18n.Known(v) {
			return v
		}
		if u.Lang != "" {
			return u.Lang
		}
	}
	if v := c.Cookies(langCookie); i18n.Known(v) {
		return v
	}
	if v, ok := i18n.Match(c.Get(fiber.HeaderAcceptLanguage)); ok {
		return v
	}
	if s.cfg().Lang != "" {
		return s.cfg().Lang
	}
	return "en"
}

// zoneOf is where u reads times.
func (s *Server) zoneOf(u *config.User) *time.Location {
	if u != nil && u.Location != nil {
		return u.Location
	}
	return s.zone()
}

// withLocale puts the request's locale into its context, where pages read it.
func (s *Server) withLocale(c *fiber.Ctx) error {
	var u *config.User
	if sess, ok := s.session(c); ok {
		u = sess.User
	}
	loc := s.variantLocale(variantOf(s.langOf(c, u), s.zoneOf(u)))
	c.Locals("locale", loc)
	c.SetUserContext(i18n.With(c.UserContext(), loc))
	return c.Next()
}

func localeOf(c *fiber.Ctx) *i18n.Locale {
	if l, ok := c.Locals("locale").(*i18n.Locale); ok {
		return l
	}
	return i18n.From(nil)
}

// pageSetLanguage keeps the person's choice from the header's menu and goes back.
func (s *Server) pageSetLanguage(c *fiber.Ctx) error {
	lang := c.FormValue("lang")
	if !i18n.Known(lang) {
		return plain(c, fiber.StatusBadRequest, "err_unknown_language")
	}
	u := sessionOf(c).User
	if err := s.store.SetPref(u.Name, langPref, lang); err != nil {
		return s.errorPage(c, sessionOf(c), fiber.StatusServiceUnavailable, "error_store")
	}
	s.langs.mu.Lock()
	if s.langs.m == nil {
		s.langs.m = map[string]string{}
	}
	s.langs.m[u.Name] = lang
	s.langs.mu.Unlock()
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: lang, Path: "/", HTTPOnly: true, SameSite: "Lax",
		Secure: s.secure(), Expires: s.now().AddDate(5, 0, 0)})
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = homeOf(u)
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// A variant is how one topic is rendered for a group of people: "fa|Asia/Tehran".
func variantOf(lang string, zone *time.Location) string { return lang + "|" + zone.String() }

// variantLocale is the locale of a variant, cached (zones are loaded from disk).
func (s *Server) variantLocale(v string) *i18n.Locale {
	if l, ok := s.locales.Load(v); ok {
		return l.(*i18n.Locale)
	}
	lang, zone, _ := strings.Cut(v, "|")
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = s.zone()
	}
	l, _ := s.locales.LoadOrStore(v, i18n.New(lang, loc))
	return l.(*i18n.Locale)
}

// has says whether anyone, in any language, listens to topic.
func (s *Server) has(topic string) bool { return len(s.hub.Variants(topic)) > 0 }

// publish renders key of topic once for each variant that has subscribers.
func (s *Server) publish(topic, key string, render func(ctx context.Context) []byte) {
	for _, v := range s.hub.Variants(topic) {
		ctx := i18n.With(context.Background(), s.variantLocale(v))
		s.hub.Publish(topic+hub.VariantSep+v, key, func() []byte { return render(ctx) })
	}
}

// publishNow sends at once, not coalesced, once per variant (screen-pops); the hub
// renders it on its own goroutine.
func (s *Server) publishNow(topic string, render func(ctx context.Context) []byte) {
	for _, v := range s.hub.Variants(topic) {
		ctx := i18n.With(context.Background(), s.variantLocale(v))
		s.hub.PublishNow(topic+hub.VariantSep+v, func() []byte { return render(ctx) })
	}
}

// nowIn is the current time in the zone of ctx's locale.
func (s *Server) nowIn(ctx context.Context) time.Time { return s.now().In(i18n.From(ctx).Zone) }
