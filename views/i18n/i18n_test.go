package i18n

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Every key of every catalog is in every other, with the plural forms CLDR gives
// the language, and the same {{.Fields}}.
func TestEveryKeyInEveryCatalog(t *testing.T) {
	en, err := Keys("en")
	if err != nil || len(en) < 50 {
		t.Fatalf("en catalog: %d keys, %v", len(en), err)
	}
	slices.Sort(en)
	need := map[string][]string{"en": {"one", "other"}, "fa": {"one", "other"}, "cs": {"one", "few", "many", "other"},
		"fr": {"one", "many", "other"}, "ru": {"one", "few", "many", "other"}}
	for _, l := range Supported {
		keys, err := Keys(l.Code)
		if err != nil {
			t.Fatalf("%s: %v", l.Code, err)
		}
		slices.Sort(keys)
		for _, k := range en {
			if _, ok := slices.BinarySearch(keys, k); !ok {
				t.Errorf("%s lacks %q", l.Code, k)
			}
		}
		for _, k := range keys {
			if _, ok := slices.BinarySearch(en, k); !ok {
				t.Errorf("%s has %q, which en lacks", l.Code, k)
			}
			if PluralForms("en", k) != nil {
				forms := PluralForms(l.Code, k)
				for _, f := range need[l.Code] {
					if !slices.Contains(forms, f) {
						t.Errorf("%s %q lacks plural form %q", l.Code, k, f)
					}
				}
			}
			lc := New(l.Code, time.UTC)
			if got, want := fields(raw(t, l.Code, k)), fields(raw(t, "en", k)); !slices.Equal(got, want) {
				t.Errorf("%s %q uses fields %v, en %v", l.Code, k, got, want)
			}
			_ = lc
		}
	}
}

func raw(t *testing.T, lang, k string) string {
	m, err := catalog(lang)
	if err != nil {
		t.Fatal(err)
	}
	switch v := m[k].(type) {
	case string:
		return v
	case map[string]any:
		var b strings.Builder
		for _, f := range []string{"zero", "one", "two", "few", "many", "other"} {
			if s, ok := v[f].(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// fields lists the distinct {{.Fields}} of a message.
func fields(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "{{.")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		if f := s[i+3 : i+j]; !slices.Contains(out, f) {
			out = append(out, f)
		}
		s = s[i+j:]
	}
	slices.Sort(out)
	return out
}

func TestPluralForms(t *testing.T) {
	cases := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 call"}, {"en", 2, "2 calls"}, {"en", 0, "0 calls"},
		{"cs", 1, "1 hovor"}, {"cs", 3, "3 hovory"}, {"cs", 5, "5 hovorů"}, {"cs", 22, "22 hovorů"},
		{"ru", 1, "1 звонок"}, {"ru", 3, "3 звонка"}, {"ru", 5, "5 звонков"}, {"ru", 21, "21 звонок"}, {"ru", 11, "11 звонков"},
		{"fr", 0, "0 appel"}, {"fr", 1, "1 appel"}, {"fr", 2, "2 appels"},
		{"fa", 1, "۱ تماس"}, {"fa", 12, "۱۲ تماس"},
	}
	for _, c := range cases {
		if got := New(c.lang, time.UTC).N("cdr_count", c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

func TestPersianFigures(t *testing.T) {
	teh, _ := time.LoadLocation("Asia/Tehran")
	fa := New("fa", teh)
	at := time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC) // 12:35 in Tehran, 9 Azar 1405
	if got := fa.Date(at, true); got != "۹ آذر ۱۴۰۵" {
		t.Errorf("date = %q", got)
	}
	if got := fa.Clock(at, false); got != "۱۲:۳۵" {
		t.Errorf("clock = %q", got)
	}
	if got := fa.Num(12345); got != "۱۲٬۳۴۵" {
		t.Errorf("num = %q", got)
	}
	if got := fa.Percent(87); got != "۸۷٪" {
		t.Errorf("percent = %q", got)
	}
	if got := fa.DateInput(at); got != "1405-09-09" {
		t.Errorf("date input = %q", got)
	}
	for _, in := range []string{"1405-09-09", "۱۴۰۵-۰۹-۰۹", "1405/9/9"} {
		d, ok := fa.ParseDateInput(in)
		if !ok || !d.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, teh)) {
			t.Errorf("parse %q = %v %v", in, d, ok)
		}
	}
	if _, ok := fa.ParseDateInput("1405-12-30"); ok {
		t.Error("30 Esfand 1405 accepted: 1405 is not leap")
	}
	cs := New("cs", time.UTC)
	if got := cs.Date(at, true); got != "30. listopadu 2026" {
		t.Errorf("cs date = %q", got)
	}
	if got := cs.Num(12345); got != "12\u00a0345" {
		t.Errorf("cs num = %q", got)
	}
	if d, ok := cs.ParseDateInput("2026-11-30"); !ok || !d.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("cs parse = %v %v", d, ok)
	}
	if New("en", time.UTC).Digits("0912 345") != "0912 345" {
		t.Error("en digits changed")
	}
}

func TestLanguageChoice(t *testing.T) {
	for in, want := range map[string]string{"fa-IR,fa;q=0.9,en;q=0.5": "fa", "de-DE,cs;q=0.8": "cs", "fr-CA": "fr", "ru": "ru", "en-GB": "en"} {
		if got, ok := Match(in); !ok || got != want {
			t.Errorf("Match(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := Match("de, ja"); ok {
		t.Error("de, ja matched")
	}
	if New("fa", nil).Dir() != "rtl" || New("cs", nil).Dir() != "ltr" {
		t.Error("dir")
	}
}

func TestPseudo(t *testing.T) {
	p := New(Pseudo, time.UTC)
	got := p.T("login_title")
	if !strings.HasPrefix(got, PseudoOpen) || !strings.HasSuffix(got, PseudoClose) || strings.Contains(got, "Sign") {
		t.Errorf("pseudo login_title = %q", got)
	}
	if got := p.N("cdr_count", 3); !strings.Contains(got, "3") || !strings.HasPrefix(got, PseudoOpen) {
		t.Errorf("pseudo count = %q", got)
	}
	if got := p.T("fmt_group"); got != "," {
		t.Errorf("pseudo group = %q", got)
	}
}
