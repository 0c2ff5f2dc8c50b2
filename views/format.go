package views

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/a-h/templ"

	"ringside/server/call"
	"ringside/static"
)

// asset is a static file's URL, versioned so browsers refetch it after an upgrade.
func asset(name string) string { return "/static/" + name + "?v=" + static.Version }

// clock formats a duration as mm:ss, h:mm:ss, or "Nd Hh" past a day (web/app.js matches).
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	if s < 0 {
		s = 0
	}
	switch {
	case s >= 86400:
		return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
	case s >= 3600:
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s%3600/60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// secs formats seconds as a clock.
func secs(f float64) string { return clock(time.Duration(math.Round(f)) * time.Second) }

// secsp formats optional seconds, "—" when unknown.
func secsp(f *float64) string {
	if f == nil {
		return "—"
	}
	return secs(*f)
}

// since is the ticking clock text for a start time.
func since(now time.Time, t *time.Time) string {
	if t == nil {
		return "—"
	}
	return clock(now.Sub(*t))
}

// rfc renders a time for data-since.
func rfc(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// hhmm and the others show a time in the render location.
func hhmm(loc *time.Location, t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.In(loc).Format("15:04")
}

func hms(loc *time.Location, t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.In(loc).Format("15:04:05")
}

// stamp is a date and time, without the date when it is today.
func stamp(now time.Time, t *time.Time) string {
	if t == nil {
		return "—"
	}
	lt := t.In(now.Location())
	if y, m, d := lt.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return lt.Format("15:04:05")
	}
	if lt.Year() == now.Year() {
		return lt.Format("2 Jan 15:04")
	}
	return lt.Format("2 Jan 2006 15:04")
}

func fullTime(loc *time.Location, t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04:05 MST")
}

// pct formats a service level; "—" when no call counted yet.
func pct(f float64, counted bool) string {
	if !counted {
		return "—"
	}
	return strconv.FormatFloat(math.Round(f), 'f', 0, 64) + "%"
}

func itoa(n int) string { return strconv.Itoa(n) }

// local strips the "source:" prefix of a queue or identity for display.
func local(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// callURL links a call card.
func callURL(id string) templ.SafeURL { return templ.SafeURL("/calls/" + url.PathEscape(id)) }

// recsURL links the recordings section of a call card (the play buttons' fallback).
func recsURL(id string) templ.SafeURL { return callURL(id) + "#recordings" }

// recURL returns a playable URL: only our own /recordings/ and /voicemails/ routes or
// http(s); anything else (javascript:, data:, relative paths) is dropped.
func recURL(u string) (string, bool) {
	l := strings.ToLower(u)
	if strings.HasPrefix(u, "/recordings/") || strings.HasPrefix(u, "/voicemails/") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return u, true
	}
	return "", false
}

// playable returns the call's safe recording URLs.
func playable(c call.Call) []string {
	var out []string
	for _, r := range c.Recordings {
		if u, ok := recURL(r.URL); ok {
			out = append(out, u)
		}
	}
	return out
}

// timerSince is what a call's timer counts from: talk time once answered, else the wait.
func timerSince(c call.Call) *time.Time {
	if c.AnsweredAt != nil {
		return c.AnsweredAt
	}
	return c.StartedAt
}

// caller is the party that is not us: From for inbound, To for outbound.
func caller(c call.Call) string {
	n := c.OtherParty()
	if n == "" {
		return "unknown"
	}
	return n
}

func contactName(c call.Call) string {
	if c.Contact != nil {
		return c.Contact.Name
	}
	return ""
}

func contactCompany(c call.Call) string {
	if c.Contact != nil {
		return c.Contact.Company
	}
	return ""
}

// stateLabel is the text of a call or agent state (or a call's disposition) in the
// person's language; a state no catalog knows is shown as sent.
func stateLabel[S ~string](ctx context.Context, state S) string {
	switch s := string(state); s {
	case "":
		return t(ctx, "state_unknown")
	case "available", "ringing", "on_call", "paused", "offline", "queued", "answered", "ended", "missed", "busy", "failed", string(stateNotReported):
		return t(ctx, "state_"+s)
	default:
		return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "_", " ")
	}
}

// slug makes a class-safe token from a state or disposition.
func slug[S ~string](s S) string {
	var b strings.Builder
	for _, r := range strings.ToLower(string(s)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// callStatus is a call's badge: its state while live, its disposition once ended.
func callStatus(c call.Call) string {
	if c.State == call.StateEnded && c.Disposition != "" {
		return string(c.Disposition)
	}
	return c.State
}

// dirArrow is a direction glyph.
func dirArrow(d call.Direction) string {
	switch d {
	case call.Inbound:
		return "↙"
	case call.Outbound:
		return "↗"
	case call.Internal:
		return "↔"
	}
	return "·"
}

// canSee says whether the nav shows a page to u (the server decides: User.Pages).
func canSee(u User, page string) bool { return slices.Contains(u.Pages, page) }

// wsURL is the socket address for a page topic.
func wsURL(topic string) string { return "/ws?page=" + url.QueryEscape(topic) }

// pageURL is /cdrs with the filter and a start offset.
func pageURL(base string, q CDRQuery, start int) templ.SafeURL {
	v := q.Values()
	if start > 0 {
		v.Set("start", strconv.Itoa(start))
	}
	if len(v) == 0 {
		return templ.SafeURL(base)
	}
	return templ.SafeURL(base + "?" + v.Encode())
}

// initials are up to two letters of a name, for avatars.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// hue picks one of eight avatar colours from a name, stable across renders.
func hue(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return "hue-" + strconv.Itoa(int(h%8))
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// csrfHeaders is the page's hx-headers: every htmx request carries the CSRF token.
func csrfHeaders(tok string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": tok})
	return string(b)
}

// numberVals is a call button's hx-vals.
func numberVals(number string) string {
	b, _ := json.Marshal(map[string]string{"number": number})
	return string(b)
}

// otherParty is the number to call back: the caller of an inbound call, else the callee.
func otherParty(c call.Call) string {
	if c.Direction == call.Outbound {
		return c.To
	}
	return c.From
}

// IDs lists the agent ids in name order.
func (n Names) IDs() []string {
	ids := make([]string, 0, len(n))
	for id := range n {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return n[ids[i]] < n[ids[j]] || (n[ids[i]] == n[ids[j]] && ids[i] < ids[j]) })
	return ids
}

// previewURL is an agent's page as an admin previews it.
func previewURL(agentID string) templ.SafeURL {
	return templ.SafeURL("/agent?agent=" + url.QueryEscape(agentID))
}
