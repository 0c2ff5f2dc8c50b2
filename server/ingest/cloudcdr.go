package ingest

// Cloud PBX post-call CDR webhooks ("CloudSessionCdr", a call-analytics service for
// Kazoo-based cloud PBXs, sold white-labelled; vendor key cloudcdr): one request per
// finished call session, by GET, POST or PUT, as JSON or as form/query data that
// flattens the nested object (cdr[field] or cdr.field); the PBX can only be given a URL,
// so its source authenticates by a token in it. Each request becomes one CallRecord
// event; cdr.id (the session id) is the call and the dedupe key. The sender waits 10 s,
// then retries up to 10 times (n x 2 s before retry n), so one session can arrive
// several times. Nothing is sent during a call: the board learns of it when it is over,
// and the PBX sends no agent presence (Vendor.NoPresence).
//
// The fields used: start, answer (absent when unanswered) and end, RFC 3339 with an
// offset; dur, ring and talk in seconds; ans, the answered flag (1/0; lost, aban and
// short only refine an unanswered call); cause, the clearing cause (USER_BUSY is a busy
// call); dir, 0 unknown, 1 internal, 2 inbound, 3 outbound, 4 both; cliNum and ddiNum,
// caller and dialled number in E.164 (a "+" may come unencoded in a query, read as a
// space, or as a twice-escaped "\u002B"); the ring groups (fRngGroupName,
// lRngGroupName, ansGroupName) as the queue; recordingIds; directoryMatches, the CRM
// contacts matching the caller (the first is the call's contact); tags, labels
// {key: value} kept with their keys' case. The vendor's example is damaged by
// translation (French quotes, duplicated arrays); real deliveries are plain JSON.
//
// The parties of a session come as four roles, each as device, user and agent (number
// and name): fRng* (first rung), lRng* (last rung), ans* (first to answer) and lAns*
// (last to answer). When the last answering party is not the first, the call was
// transferred between them: both get an answered leg and the record a transfer from the
// first to the last, who is the call's agent. The record gives one talk time for the
// session and no transfer time, so a transfer's time and each side's talk time are
// unknown (left out, never guessed); without a transfer the answering leg has the
// session's talk time.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"ringside/server/call"
)

func init() {
	register(Vendor{Name: "cloudcdr", Order: 3, Decode: decodeCloudCDR, Auth: AuthToken, NoPresence: true,
		Fixtures: []Fixture{{Source: "cloud"}}})
}

func decodeCloudCDR(src Source, req Request) (Result, error) {
	f, err := parseFields(req)
	if err != nil {
		return Result{}, err
	}
	r := cloudRecord{src: src, c: f.sub("cdr")}
	id := r.c.get("id")
	if id == "" {
		return Result{}, fmt.Errorf("%w: cloudcdr: no cdr.id (the call session id) in the %s request", ErrUndecodable, req.Method)
	}
	e := r.event(id)
	e.Disposition = r.disposition(e.AnsweredAt)
	r.parties(&e)
	e.Recordings = r.recordings()
	e.Contact = r.contact()
	e.Tags = cloudTags(req)
	return Result{Events: []call.Event{e}, Key: "cdr:" + id}, nil
}

// cloudRecord is one session record (the cdr object) of a source.
type cloudRecord struct {
	src Source
	c   fields
}

// time reads a record time, nil when absent or unreadable.
func (r cloudRecord) time(k string) *time.Time {
	t, ok := parseTime(r.c.get(k), r.src.Location)
	if !ok {
		return nil
	}
	return &t
}

// id is a party's or a group's number as our identity "source:number", "" for none.
func (r cloudRecord) id(v string) string {
	if v == "" {
		return ""
	}
	return r.src.Name + ":" + v
}

// event is the record's call-level facts: who called whom, when, the queue (the
// answering group, else the last or first rung) and the session's times.
func (r cloudRecord) event(id string) call.Event {
	c := r.c
	e := call.Event{
		Name:         cmp.Or(c.get("dtype"), "CloudSessionCdr"),
		Type:         call.CallRecord,
		Call:         r.src.Name + ":" + id,
		Direction:    cloudDirection(c.get("dir")),
		From:         cloudPhone(c.get("clinum")),
		To:           cloudPhone(c.get("ddinum")),
		Queue:        r.id(c.get("ansgroupname", "lrnggroupname", "frnggroupname")),
		HangupReason: c.get("cause"),
		StartedAt:    r.time("start"),
		AnsweredAt:   r.time("answer"),
		EndedAt:      r.time("end"),
		DurationS:    num(c.get("dur")),
		WaitS:        num(c.get("ring")),
		TalkS:        num(c.get("talk")),
	}
	if e.EndedAt != nil {
		e.At = *e.EndedAt
	}
	if e.Direction == call.Inbound {
		e.DID = e.To
	}
	return e
}

// disposition: ans is the answered flag; lost/aban/short only refine an unanswered (or
// very short) call. Without the flag, an answer time is the same fact.
func (r cloudRecord) disposition(answeredAt *time.Time) call.Disposition {
	if ans := r.c.get("ans"); ans == "1" || ans == "true" || (ans == "" && answeredAt != nil) {
		return call.Answered
	}
	if strings.EqualFold(r.c.get("cause"), "USER_BUSY") {
		return call.Busy // the same outcome Simotel calls BUSY
	}
	return call.Missed
}

// parties sets the call's agent and legs: the first- and last-ringing agents, plus the
// answering one if neither was it; a last answering party other than the first is a
// transfer from the first to them, and they are the call's agent.
func (r cloudRecord) parties(e *call.Event) {
	c := r.c
	ansNum, ansName := cloudParty(c, "ans")
	e.Agent, e.AgentName = r.id(ansNum), ansName
	lAnsNum, lAnsName := cloudParty(c, "lans")
	transferred := ansNum != "" && lAnsNum != "" && !cloudSameParty(c, "ans", "lans")
	answeredLeg := false
	for _, p := range []string{"frng", "lrng", "ans"} {
		n, name := cloudParty(c, p)
		if n == "" || (p == "ans" && answeredLeg) || cloudHasLeg(e.Legs, r.id(n)) {
			continue
		}
		leg := call.Leg{Agent: r.id(n), Name: name, Outcome: call.OutcomeNoAnswer}
		if ansNum != "" && cloudSameParty(c, p, "ans") {
			leg.Outcome, answeredLeg = call.OutcomeAnswer, true
			if !transferred {
				leg.TalkS = e.TalkS
			}
		}
		e.Legs = append(e.Legs, leg)
	}
	if transferred {
		e.Legs = append(e.Legs, call.Leg{Agent: r.id(lAnsNum), Name: lAnsName, Outcome: call.OutcomeAnswer})
		e.TransferFrom, e.TransferTo = ansNum, lAnsNum
		e.Agent, e.AgentName = r.id(lAnsNum), lAnsName
	}
}

// recordings are the record's recording ids, a list or a single id sent without an index.
func (r cloudRecord) recordings() []string {
	var out []string
	if v := r.c.get("recordingids"); v != "" {
		out = append(out, v)
	}
	for _, x := range r.c.list("recordingids") {
		if v := x.get(""); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// contact is the first directory match of the caller, nil when none.
func (r cloudRecord) contact() *call.Contact {
	dm := r.c.list("directorymatches")
	if len(dm) == 0 {
		return nil
	}
	m := dm[0].sub("fields")
	ct := call.Contact{Name: m.get("fullname"), Company: m.get("companyname"), Email: m.get("email"),
		CRMID: m.get("crmid"), Phone: cloudPhone(m.get("phone1"))}
	if ct == (call.Contact{}) {
		return nil
	}
	return &ct
}

func cloudDirection(dir string) call.Direction {
	switch dir {
	case "1":
		return call.Internal
	case "2":
		return call.Inbound
	case "3":
		return call.Outbound
	}
	return "" // 0 unknown, 4 both
}

// cloudParty returns the number and name of the agent, else user, else device in role p
// (frng, lrng, ans): agents are the most specific identity, devices the least.
func cloudParty(c fields, p string) (num, name string) {
	for _, k := range []string{"agt", "usr", "dev"} {
		if n := c.get(p + k + "num"); n != "" {
			return n, c.get(p + k + "name")
		}
	}
	return "", ""
}

// cloudSameParty reports whether roles p and q share an agent, user or device number, so
// a first-ringing user is recognized as the answering agent even if one side lacks the agent.
func cloudSameParty(c fields, p, q string) bool {
	for _, k := range []string{"agt", "usr", "dev"} {
		if a := c.get(p + k + "num"); a != "" && a == c.get(q+k+"num") {
			return true
		}
	}
	return false
}

func cloudHasLeg(legs []call.Leg, agent string) bool {
	for _, l := range legs {
		if l.Agent == agent {
			return true
		}
	}
	return false
}

// cloudPhone undoes two transport accidents on E.164 numbers: a "+" sent unencoded in a
// query or form (decoded as a space), and a JSON "\u002B" escape that was escaped twice.
func cloudPhone(s string) string {
	if rest, ok := strings.CutPrefix(s, " "); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
		return "+" + rest
	}
	if len(s) > 6 && strings.EqualFold(s[:6], `\u002B`) {
		return "+" + s[6:]
	}
	return s
}

// cloudTags reads cdr.tags with its keys' case as sent ("Support", not "support"), which
// the lowercased fields view loses. Tags are an object {key: value}; an array of
// {key|name, value} pairs is accepted too. Nil when there are none.
func cloudTags(req Request) map[string]string {
	flat := map[string]string{} // path under cdr.tags, original case → value
	addForm := func(vals url.Values) {
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d := bracketsToDots(k)
			if len(d) > 9 && strings.EqualFold(d[:9], "cdr.tags.") && len(vals[k]) > 0 {
				flat[d[9:]] = vals[k][0]
			}
		}
	}
	addForm(req.Query)
	// The same transport sniffing as parseFields, which already accepted the body.
	body := bytes.TrimSpace(req.Body)
	ct := mediaType(req.ContentType)
	if len(body) > 0 && (strings.Contains(ct, "json") || ((ct == "" || ct == "text/plain") && body[0] == '{')) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v map[string]any
		if dec.Decode(&v) == nil {
			cloudFlatten(flat, "", cloudKey(cloudKey(v, "cdr"), "tags"))
		}
	} else if len(body) > 0 {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			addForm(vals)
		}
	}
	paths := make([]string, 0, len(flat))
	for k := range flat {
		paths = append(paths, k)
	}
	sort.Strings(paths) // deterministic when keys collide
	tags := map[string]string{}
	pairKey, pairValue := map[string]string{}, map[string]string{}
	for _, k := range paths {
		i, field, nested := strings.Cut(k, ".")
		_, err := strconv.Atoi(i)
		isIndex := err == nil
		field = strings.ToLower(field)
		switch {
		case k == "" || (!nested && isIndex):
			// a scalar tags value or a bare list of labels: no key to file it under
		case !nested:
			tags[k] = flat[k]
		case isIndex && (field == "key" || field == "name"):
			pairKey[i] = cmp.Or(pairKey[i], flat[k])
		case isIndex && field == "value":
			pairValue[i] = flat[k]
		}
	}
	for _, k := range paths { // pairs in path order; the first of a repeated key wins
		i, _, _ := strings.Cut(k, ".")
		if key, ok := pairKey[i]; ok && key != "" {
			if _, dup := tags[key]; !dup {
				tags[key] = pairValue[i]
			}
		}
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// cloudKey returns the value of key k in object v, matched case-insensitively.
func cloudKey(v any, k string) any {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for mk := range m {
		keys = append(keys, mk)
	}
	sort.Strings(keys) // deterministic if two keys differ only in case
	for _, mk := range keys {
		if strings.EqualFold(mk, k) {
			return m[mk]
		}
	}
	return nil
}

// cloudFlatten is flattenJSON keeping the keys' case.
func cloudFlatten(out map[string]string, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			cloudFlatten(out, join(prefix, k), e)
		}
	case []any:
		for i, e := range x {
			cloudFlatten(out, join(prefix, strconv.Itoa(i)), e)
		}
	case json.Number:
		out[prefix] = x.String()
	case string:
		out[prefix] = x
	case bool:
		out[prefix] = strconv.FormatBool(x)
	}
}
