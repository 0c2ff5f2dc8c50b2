// Package i18n holds Ringside's message catalogs and formats what people read in
// their language: words (with CLDR plural rules, through go-i18n), figures, times and
// dates (the Jalali calendar and Persian digits for Persian).
//
// Catalogs are locales/<lang>.toml, one key per string; every catalog has every key
// (a test checks). A key whose value depends on a count is a table with CLDR plural
// forms (one, few, many, other...). Values are Go text/template strings whose
// {{.Name}} fields are filled from the call's arguments; figures passed to them are
// already formatted in the language's digits.
//
// Languages: Supported lists those offered in the menu. "en-XA" is a pseudo-language
// made from the English catalog (accented, bracketed) so a browser test can find any
// text that does not come from a catalog.
//
// To add a language: copy locales/en.toml to locales/<code>.toml, translate every
// value (keep the keys and {{.Fields}}), give plural keys the forms CLDR defines for
// it, and add the code and its own name to Supported.
package i18n

import (
	"context"
	"embed"
	"io/fs"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var files embed.FS

// Language is one language people can choose.
type Language struct {
	Code string // BCP 47: "fa"
	Name string // its name in itself: "فارسی"
}

// Supported are the languages of the menu, in its order.
var Supported = []Language{
	{"en", "English"},
	{"fa", "فارسی"},
	{"cs", "Čeština"},
	{"fr", "Français"},
	{"ru", "Русский"},
}

// Pseudo is the pseudo-language for finding text outside the catalogs.
const Pseudo = "en-XA"

var (
	bundle     *goi18n.Bundle
	bundleOnce sync.Once
	locales    sync.Map // lang → *goi18n.Localizer
)

func load() *goi18n.Bundle {
	bundleOnce.Do(func() {
		b := goi18n.NewBundle(language.English)
		b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
		names, _ := fs.Glob(files, "locales/*.toml")
		for _, n := range names {
			data, _ := files.ReadFile(n)
			b.MustParseMessageFileBytes(data, n)
		}
		b.MustAddMessages(language.Make(Pseudo), pseudoMessages()...)
		bundle = b
	})
	return bundle
}

// Known says whether code is a language with a catalog (Supported or Pseudo).
func Known(code string) bool {
	if code == Pseudo {
		return true
	}
	for _, l := range Supported {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Match picks the best supported language for an Accept-Language header; ok is
// false when nothing in it is supported.
func Match(acceptLanguage string) (string, bool) {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return "", false
	}
	for _, t := range tags {
		base, _ := t.Base()
		for _, l := range Supported {
			if l.Code == base.String() {
				return l.Code, true
			}
		}
	}
	return "", false
}

// Locale is a language and a time zone: how one person reads the pages.
type Locale struct {
	Lang string
	Zone *time.Location
	lz   *goi18n.Localizer
}

// New returns the locale of lang (en when unknown) in zone (UTC when nil).
func New(lang string, zone *time.Location) *Locale {
	if !Known(lang) {
		lang = "en"
	}
	if zone == nil {
		zone = time.UTC
	}
	b := load()
	lz, ok := locales.Load(lang)
	if !ok {
		lz, _ = locales.LoadOrStore(lang, goi18n.NewLocalizer(b, lang))
	}
	return &Locale{Lang: lang, Zone: zone, lz: lz.(*goi18n.Localizer)}
}

// Dir is the writing direction of the language: "rtl" or "ltr".
func (l *Locale) Dir() string {
	if l.Lang == "fa" {
		return "rtl"
	}
	return "ltr"
}

// HTMLLang is the value of <html lang>.
func (l *Locale) HTMLLang() string { return l.Lang }

// Persian says whether figures use Persian digits and dates the Jalali calendar.
func (l *Locale) Persian() bool { return l.Lang == "fa" }

// T is message id, its {{.Fields}} filled from name, value pairs.
func (l *Locale) T(id string, kv ...any) string {
	s, err := l.lz.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: l.data(kv)})
	if err != nil && s == "" {
		return id
	}
	return s
}

// N is message id in the plural form for n; {{.Count}} is n in the language's digits.
func (l *Locale) N(id string, n int, kv ...any) string {
	d := l.data(kv)
	d["Count"] = l.Num(n)
	s, err := l.lz.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: d})
	if err != nil && s == "" {
		return id
	}
	return s
}

// data turns name, value pairs into template data; ints become figures.
func (l *Locale) data(kv []any) map[string]any {
	d := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		switch v := kv[i+1].(type) {
		case int:
			d[k] = l.Num(v)
		default:
			d[k] = v
		}
	}
	return d
}

type ctxKey struct{}

// With returns ctx carrying l, for templates.
func With(ctx context.Context, l *Locale) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

var english = sync.OnceValue(func() *Locale { return New("en", time.UTC) })

// From is the locale ctx carries, else English in UTC.
func From(ctx context.Context) *Locale {
	if ctx != nil {
		if l, ok := ctx.Value(ctxKey{}).(*Locale); ok {
			return l
		}
	}
	return english()
}

// catalogs caches the parsed catalog files (they are embedded: they never change).
var catalogs sync.Map // lang → map[string]any

// catalog is lang's catalog file as TOML: key → string, or key → plural forms.
func catalog(lang string) (map[string]any, error) {
	if m, ok := catalogs.Load(lang); ok {
		return m.(map[string]any), nil
	}
	data, err := files.ReadFile("locales/" + lang + ".toml")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err = toml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	catalogs.Store(lang, m)
	return m, nil
}

// Keys lists the message ids of lang's catalog file, for tests.
func Keys(lang string) ([]string, error) {
	m, err := catalog(lang)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys, err
}

// PluralForms lists the plural forms of a plural key in lang's catalog (nil for a
// plain string), for tests.
func PluralForms(lang, id string) []string {
	m, _ := catalog(lang)
	t, ok := m[id].(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for k := range t {
		out = append(out, k)
	}
	return out
}

// pluralSamples are a count of each CLDR plural category of the languages, so the
// browser (Intl.PluralRules) can pick a form for counts it updates itself.
var pluralSamples = map[string]map[string]int{
	"en": {"one": 1, "other": 2},
	"fa": {"one": 1, "other": 2},
	"cs": {"one": 1, "few": 2, "other": 5},
	"fr": {"one": 1, "many": 1000000, "other": 2},
	"ru": {"one": 1, "few": 2, "many": 5},
}

// Forms is message id in each plural category of the language, its {{.Count}}
// written as {n}.
func (l *Locale) Forms(id string) map[string]string {
	samples, ok := pluralSamples[l.Lang]
	if !ok {
		samples = pluralSamples["en"]
	}
	out := map[string]string{}
	for cat, n := range samples {
		s, err := l.lz.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": "{n}"}})
		if err == nil {
			out[cat] = s
		}
	}
	return out
}
