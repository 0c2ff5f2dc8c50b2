package i18n

import (
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// accents maps ASCII letters to look-alikes, so pseudo text stays readable.
var accents = strings.NewReplacer(
	"a", "å", "b", "ƀ", "c", "ç", "d", "ð", "e", "é", "f", "ƒ", "g", "ĝ", "h", "ĥ", "i", "î",
	"j", "ĵ", "k", "ķ", "l", "ļ", "m", "ɱ", "n", "ñ", "o", "ö", "p", "þ", "r", "ŕ", "s", "š",
	"t", "ţ", "u", "û", "w", "ŵ", "y", "ý", "z", "ž",
	"A", "Å", "C", "Ç", "E", "É", "I", "Î", "N", "Ñ", "O", "Ö", "S", "Š", "U", "Û", "Y", "Ý",
)

// PseudoOpen and PseudoClose bracket every pseudo-language string.
const (
	PseudoOpen  = "⟦"
	PseudoClose = "⟧"
)

// pseudo accents s outside {{template actions}} and brackets it. Strings that are
// only figures and punctuation (formats such as "{{.Day}} {{.Month}}") are accented
// but not bracketed, so formatted figures stay what they are.
func pseudo(s string) string {
	var b strings.Builder
	letters := false
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			i = len(s)
		}
		lit := s[:i]
		if strings.ContainsFunc(lit, isLetter) {
			letters = true
		}
		b.WriteString(accents.Replace(lit))
		s = s[i:]
		if s == "" {
			break
		}
		j := strings.Index(s, "}}")
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:j+2])
		s = s[j+2:]
	}
	if !letters {
		return b.String()
	}
	return PseudoOpen + b.String() + PseudoClose
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// pseudoMessages derives the pseudo-language's messages from the English catalog.
func pseudoMessages() []*goi18n.Message {
	raw, _ := catalog("en")
	out := make([]*goi18n.Message, 0, len(raw))
	for k, v := range raw {
		m := &goi18n.Message{ID: k}
		switch v := v.(type) {
		case string:
			m.Other = pseudo(v)
		case map[string]any:
			m.One, _ = v["one"].(string)
			m.Other, _ = v["other"].(string)
			m.One, m.Other = pseudo(m.One), pseudo(m.Other)
		}
		out = append(out, m)
	}
	return out
}
