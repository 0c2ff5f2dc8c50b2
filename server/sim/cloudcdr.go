package sim

import (
	"bytes"
	"math"
	"sort"
	"strings"
	"time"

	"ringside/server/call"
)

// Cloud PBX post-call CDR webhooks: one request per finished call
// session, a few seconds after the hangup, as JSON (POST or PUT), form data (POST, the
// nested object flattened as cdr[x] or cdr.x) or a GET query. The service escapes "+"
// in JSON strings as \u002B, like .NET's serializer.

func (r *renderer) cloudcdr() {
	st := r.st
	if !st.IsCall() {
		return // the service reports finished calls only
	}
	loc := r.loc()
	ts := func(d time.Duration) string { return r.at(d).In(loc).Format("2006-01-02T15:04:05-07:00") } // "+00:00", never "Z"
	name := r.src.Name
	inbound := st.CallKind() != Outbound
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	c := obj{{"id", CloudCDRSessionID(r.src, st)}, {"dType", "CloudSessionCdr"}, {"sVer", 1},
		{"pbxId", uuid("pbx", name)}, {"pbxName", "Ringside Sim " + name}, {"tz", loc.String()}, {"start", ts(0)}}
	if st.Answered {
		c = append(c, kv{"answer", ts(st.Answer)})
	}
	cause := "NORMAL_CLEARING"
	switch {
	case st.Answered:
	case st.CallKind() == AllBusy:
		cause = "USER_BUSY"
	case inbound:
		cause = "ORIGINATOR_CANCEL"
	default:
		cause = "NO_ANSWER"
	}
	lost := inbound && !st.Answered
	c = append(c, kv{"end", ts(st.End)}, kv{"dur", secs(st.End)}, kv{"ring", secs(st.Wait())}, kv{"talk", secs(st.Talk())},
		kv{"hold", 0}, kv{"park", 0}, kv{"lost", flag(lost)}, kv{"lostInPark", 0},
		kv{"aban", flag(lost && st.End < 5*time.Second)}, kv{"ans", flag(st.Answered)},
		kv{"short", flag(st.Answered && st.Talk() < 10*time.Second)}, kv{"cause", cause})
	if inbound {
		c = append(c, kv{"dir", 2}, kv{"type", 2}, kv{"t2t", 0}, kv{"cliNum", st.Caller}, kv{"cliName", cloudCliName(st)},
			kv{"cliLoc", "United Kingdom"}, kv{"cliArea", cloudArea(st.Caller)}, kv{"cliCtry", "GB"},
			kv{"ddiNum", st.DID}, kv{"ddiName", st.Queue + " line"})
	} else {
		c = append(c, kv{"dir", 3}, kv{"type", 2}, kv{"t2t", 0}, kv{"cliNum", st.DID}, kv{"cliName", st.Agent.Name},
			kv{"ddiNum", st.Caller}, kv{"ddiName", ""})
	}
	party := func(role string, a Agent) {
		c = append(c, kv{role + "DevNum", "user_" + hexID(6, name, a.Ext)}, kv{role + "DevName", "(T42S) " + a.Name},
			kv{role + "UsrNum", a.Ext}, kv{role + "UsrName", a.Name}, kv{role + "AgtNum", a.Ext}, kv{role + "AgtName", a.Name})
	}
	var rung []Attempt
	for _, a := range st.Chain {
		if a.Outcome != call.OutcomeBusy && a.Outcome != call.OutcomeUnavailable {
			rung = append(rung, a)
		}
	}
	if inbound && len(rung) > 0 {
		party("fRng", rung[0].Agent)
		party("lRng", rung[len(rung)-1].Agent)
	}
	if inbound && st.Answered {
		party("ans", st.Agent)
		party("lAns", st.FinalAgent())
	}
	c = append(c, kv{"rteID", ""}, kv{"rteName", ""})
	if inbound && len(rung) > 0 {
		c = append(c, kv{"fRngGroupName", st.Queue}, kv{"lRngGroupName", st.Queue})
	}
	if inbound && st.Answered {
		c = append(c, kv{"ansGroupName", st.Queue})
	}
	recs := []string{}
	if st.Recorded && st.Answered {
		recs = append(recs, uuid("rec", name, st.ID, "0"))
		if st.TransferTo != nil {
			recs = append(recs, uuid("rec", name, st.ID, "1"))
		}
	}
	c = append(c, kv{"hasRec", flag(len(recs) > 0)}, kv{"rate", 1}, kv{"rateCost", cloudCost(st)},
		kv{"rateBand", cloudBand(st, inbound)}, kv{"rateName", "Standard"}, kv{"recordingIds", recs})
	matches := []obj{}
	if ct := st.Contact; ct != nil && inbound {
		matches = append(matches, obj{{"dirName", "CRM"}, {"dirId", uuid("dir", name)}, {"dirType", "DirectoryContactMatch"},
			{"contactId", uuid("contact", name, ct.CRMID)}, {"fields", obj{{"title", ct.Title}, {"fullName", ct.Name},
				{"companyName", ct.Company}, {"jobTitle", ct.JobTitle}, {"email", ct.Email}, {"phone1", st.Caller}, {"crmId", ct.CRMID}}}})
	}
	tags := obj{}
	for _, k := range sortedKeys(st.Tags) {
		tags = append(tags, kv{k, st.Tags[k]})
	}
	c = append(c, kv{"directoryMatches", matches}, kv{"tags", tags})
	o := obj{{"triggerId", uuid("trigger", name)}, {"id", uuid("tenant", name)}, {"tenantId", uuid("tenant", name)},
		{"cdr", c}, {"customData", obj{{"hook", "after-call"}}}}

	at := st.End + st.RecordLag
	switch r.variant {
	case "json", "put-json":
		method := "POST"
		if r.variant == "put-json" {
			method = "PUT"
		}
		r.add(at, method, "", "", "application/json; charset=utf-8", bytes.ReplaceAll(o.json(), []byte("+"), []byte(`\u002B`)))
	case "form-brackets", "form-dots":
		r.add(at, "POST", "", "", "application/x-www-form-urlencoded", []byte(o.form(r.variant == "form-dots")))
	case "get":
		r.add(at, "GET", "", o.form(false), "", nil)
	}
}

func cloudCliName(st Story) string {
	if st.Contact != nil {
		return strings.ToUpper(st.Contact.Company)
	}
	return ""
}

func cloudArea(num string) string {
	if strings.HasPrefix(num, "+447") {
		return "Mobile"
	}
	if strings.HasPrefix(num, "+4420") {
		return "London"
	}
	return ""
}

func cloudBand(st Story, inbound bool) string {
	switch {
	case inbound:
		return "Inbound"
	case strings.HasPrefix(st.Caller, "+447"):
		return "UK Mobile"
	}
	return "UK Geographic"
}

// cloudCost is a plausible per-minute price of the call.
func cloudCost(st Story) float64 {
	if st.CallKind() != Outbound || !st.Answered {
		return 0
	}
	minutes := (st.Talk() + time.Minute - 1) / time.Minute
	return math.Round(float64(minutes)*0.0125*1e4) / 1e4
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
