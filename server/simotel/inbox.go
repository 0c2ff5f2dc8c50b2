package simotel

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"ringside/server/jalali"
)

// Voicemail inbox (voicemails/inbox/search). A search takes alike, pagination,
// date_range {from, to} ("2020-12-25 13:53", the PBX's wall clock) and conditions {src,
// number (the mailbox)}, and answers {pagination, data: [message]}. A message has _id,
// number, caller_id, filename, duration, read, voice_mail_id {$oid} and date; one the
// PBX failed to store has an error instead of a filename. Its date is on the Persian
// (Jalali) calendar, "1400-03-25 11:59:12", in the PBX's zone. A message's file is
// fetched like a recording, through reports/audio/download.

const svcInbox = "voicemails/inbox/search"

// InboxMessage is one voicemail message in a mailbox.
type InboxMessage struct {
	ID        string          `json:"_id"`
	Mailbox   string          `json:"number"`
	Caller    string          `json:"caller_id"`
	File      string          `json:"filename,omitempty"`
	Duration  json.Number     `json:"duration,omitempty"`
	Read      bool            `json:"read"`
	Date      string          `json:"date"`
	Error     string          `json:"error,omitempty"`
	Voicemail json.RawMessage `json:"voice_mail_id,omitempty"`
}

// inboxPage is how many messages one search asks for.
const inboxPage = 100

// InboxSearch lists the messages saved between from and to (wall clock in loc, the
// PBX's zone) in mailbox (all mailboxes when ""), following the pages.
func (c *Client) InboxSearch(ctx context.Context, mailbox string, from, to time.Time, loc *time.Location) ([]InboxMessage, error) {
	var out []InboxMessage
	for start := 0; ; start += inboxPage {
		in := map[string]any{
			"alike":      mailbox == "",
			"pagination": map[string]any{"start": start, "count": inboxPage, "sorting": map[string]int{"date": 1}},
			"date_range": map[string]string{"from": from.In(loc).Format("2006-01-02 15:04"), "to": to.In(loc).Format("2006-01-02 15:04")},
			"conditions": map[string]string{"src": "", "number": mailbox},
		}
		var page struct {
			Pagination struct {
				Total int `json:"total"`
			} `json:"pagination"`
			Data []InboxMessage `json:"data"`
		}
		if err := c.call(ctx, svcInbox, in, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Data...)
		if len(page.Data) < inboxPage || start+len(page.Data) >= page.Pagination.Total {
			return out, nil
		}
	}
}

// DurationS is the message's length in seconds, if the PBX said.
func (m InboxMessage) DurationS() (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(m.Duration.String()), 64)
	return f, err == nil
}

var inboxDate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?`)

// ParseInboxDate reads an inbox date in loc: a year before 1700 is on the Persian
// calendar (what the PBX sends), a later one on the Gregorian (accepted too).
func ParseInboxDate(s string, loc *time.Location) (time.Time, error) {
	m := inboxDate.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, fmt.Errorf("simotel: inbox date %q is not YYYY-MM-DD hh:mm:ss", s)
	}
	n := make([]int, 7)
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	if n[1] >= 1700 {
		t := time.Date(n[1], time.Month(n[2]), n[3], n[4], n[5], n[6], 0, loc)
		if int(t.Month()) != n[2] || t.Day() != n[3] {
			return time.Time{}, fmt.Errorf("simotel: inbox date %q is not a day", s)
		}
		return t, nil
	}
	d := jalali.Date{Year: n[1], Month: n[2], Day: n[3]}
	if !d.Valid() || n[4] > 23 || n[5] > 59 || n[6] > 59 {
		return time.Time{}, fmt.Errorf("simotel: inbox date %q is not a Persian calendar day", s)
	}
	return d.In(n[4], n[5], n[6], 0, loc), nil
}
