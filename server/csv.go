package server

import (
	"bufio"
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/call"
	"ringside/views"
)

var csvHeader = []string{"id", "source", "direction", "from", "to", "did", "queue", "queue_name", "agent", "agent_name", "started_at", "answered_at",
	"ended_at", "wait_s", "talk_s", "duration_s", "disposition", "hangup_reason", "contact", "recordings"}

// pageCDRsCSV streams the CDRs of the current filter: rows are written as the store yields
// them, so 100k rows never sit in memory.
func (s *Server) pageCDRsCSV(c *fiber.Ctx) error {
	_, q := s.cdrQuery(c)
	q.Count = 0 // all
	if !datesInRange(q) {
		return plain(c, fiber.StatusBadRequest, "error_date_range")
	}
	if !s.exports.take(c) {
		return nil
	}
	base := strings.TrimRight(s.cfg().PublicURL, "/")
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="ringside-cdrs-`+s.localNow().Format("20060102-1504")+`.csv"`)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) { // always runs, even for a client gone
		defer s.exports.release()
		w := csv.NewWriter(bw)
		w.Write(csvHeader)
		row := make([]string, len(csvHeader))
		n := 0
		names, loc := s.names(), s.zone()
		err := s.store.EachCDR(q, func(cl call.Call) error {
			csvRow(row, s.playable(cl), base, names, loc)
			if err := w.Write(row); err != nil {
				return err
			}
			if n++; n%1000 == 0 {
				w.Flush()
				return w.Error() // the client went away: stop reading the store
			}
			return nil
		})
		w.Flush()
		if err != nil {
			s.log.Warn("CSV export ended early", "err", err)
		}
	})
	return nil
}

// csvRow fills row with a call: names as the pages show them, times in ISO 8601 with
// the display zone's offset (the zone the pages show times in).
func csvRow(row []string, c call.Call, base string, names views.Names, loc *time.Location) {
	var contact string
	if c.Contact != nil {
		contact = c.Contact.Name
	}
	var recs []string
	for _, r := range c.Recordings {
		if r.URL != "" {
			recs = append(recs, base+r.URL)
		}
	}
	vals := []string{c.ID, c.Source, string(c.Direction), c.From, c.To, c.DID, c.Queue, c.QueueName, c.Agent, agentName(names, c.Agent),
		csvTime(c.StartedAt, loc), csvTime(c.AnsweredAt, loc), csvTime(c.EndedAt, loc), csvNum(c.WaitS), csvNum(c.TalkS), csvNum(c.DurationS),
		string(c.Disposition), c.HangupReason, contact, strings.Join(recs, " ")}
	for i, v := range vals {
		row[i] = cell(v)
	}
}

// cell defuses spreadsheet formulas in vendor strings, by OWASP's rule for CSV
// injection: a cell that starts with = + - @ tab or carriage return is prefixed with a
// single quote, so a spreadsheet shows it as text; the csv writer quotes it and doubles
// any quote inside. A cell that is really a number ("+375290000000", "-2", "12.5")
// stays a number.
func cell(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) || plainNumber.MatchString(v) {
		return v
	}
	return "'" + v
}

// plainNumber is a number a spreadsheet reads as nothing but a number.
var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

func csvTime(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(loc).Format("2006-01-02T15:04:05-07:00")
}

func agentName(names views.Names, id string) string {
	if id == "" {
		return ""
	}
	return names.Of(id)
}

func csvNum(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}
