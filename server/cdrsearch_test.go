package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"ringside/server/call"
	"ringside/server/sim"
)

// CDR search over the played stories of every vendor.

// callKinds are the story kinds that are calls.
var callKinds = []sim.Kind{sim.QueueAnswered, sim.Missed, sim.AllBusy, sim.Transfer, sim.Outbound, sim.RecordOnly}

// playedStory is a story as played, with the call id Ringside gives it.
type playedStory struct {
	vendor string
	st     sim.Story
	id     string
	end    time.Time // when the call ended, by the story
}

// cdrPage is the data of POST /api/v1/cdrs/search.
type cdrPage struct {
	Pagination struct {
		Start, Count, Total int
		Sorting             map[string]int
	} `json:"pagination"`
	Data []json.RawMessage `json:"data"`
}

func (e *scenarioEnv) searchCDRs(req map[string]any) cdrPage {
	e.t.Helper()
	code, data := e.api("POST", "/api/v1/cdrs/search", req)
	if code != 200 {
		e.t.Fatalf("search %v: %d %s", req, code, data)
	}
	var p cdrPage
	if err := json.Unmarshal(data, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func pageIDs(t *testing.T, p cdrPage) []string {
	var ids []string
	for _, raw := range p.Data {
		var c struct{ ID string }
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// TestCDRSearch plays every call kind of every vendor on one server, a minute apart and
// each with its own numbers, then searches the stored CDRs by every condition.
func TestCDRSearch(t *testing.T) {
	cfg := scenarioConfig(t)
	e := startClocked(t, cfg)
	var all []playedStory
	var ds []timedDelivery
	n := 0
	for vi, vendor := range sim.Vendors() {
		src := simSource(t, cfg, vendorStyles[vendor].source, sim.VariantMix)
		for ki, kind := range callKinds {
			if vendor == "voipex" && kind == sim.RecordOnly {
				continue // a VOIPEX CDR alone has no time to sort by: TestRecordAloneHasTimes
			}
			st := story(vendor, kind, 101+n, storyT0.Add(time.Duration(n)*time.Minute))
			n++
			switch kind { // qa and missed share the vendor's caller; the rest have their own
			case sim.AllBusy, sim.Transfer, sim.RecordOnly:
				st.Caller = st.Caller[:len(st.Caller)-2] + fmt.Sprint(vi, ki)
			}
			all = append(all, playedStory{vendor, st, storyCallID(src, st), st.Start.Add(st.End)})
			ds = append(ds, renderAll(src, st)...)
		}
	}
	slices.SortStableFunc(ds, func(a, b timedDelivery) int { return a.at.Compare(b.at) })
	for _, d := range ds {
		e.deliver(d)
	}
	e.barrier()
	e.clk.set(storyT0.Add(2 * time.Hour))

	// Newest first by the end of the call.
	byEnd := slices.Clone(all)
	slices.SortStableFunc(byEnd, func(a, b playedStory) int { return b.end.Compare(a.end) })
	for i := 1; i < len(byEnd); i++ {
		if byEnd[i].end.Equal(byEnd[i-1].end) {
			t.Fatalf("stories %s and %s end at the same time: the order would be ambiguous", byEnd[i].id, byEnd[i-1].id)
		}
	}
	ids := func(ps []playedStory) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.id)
		}
		return out
	}
	where := func(f func(p playedStory) bool) []string {
		var out []playedStory
		for _, p := range byEnd {
			if f(p) {
				out = append(out, p)
			}
		}
		return ids(out)
	}

	// Every CDR is the call as GET /api/v1/calls/{id} shows it, without its timeline.
	full := e.searchCDRs(map[string]any{"pagination": map[string]any{"count": 100}})
	if got, want := pageIDs(t, full), ids(byEnd); !slices.Equal(got, want) {
		t.Fatalf("all CDRs, newest first:\n got  %v\n want %v", got, want)
	}
	if full.Pagination.Total != len(all) || full.Pagination.Sorting["ended_at"] != -1 {
		t.Errorf("pagination %+v, want total %d sorted by ended_at -1", full.Pagination, len(all))
	}
	calls := map[string]call.Call{}
	for i, raw := range full.Data {
		id := byEnd[i].id
		if v := e.callView(id); v == nil || string(v.Call) != compactJSON(t, raw) {
			t.Errorf("CDR %s differs from the call:\n cdr  %s\n call %s", id, compactJSON(t, raw), v.Call)
		}
		var c call.Call
		json.Unmarshal(raw, &c)
		calls[id] = c
		if c.State != call.StateEnded || c.EndedAt == nil || !c.EndedAt.Equal(byEnd[i].end) {
			t.Errorf("CDR %s: state %s, ended at %v, want ended at %s", id, c.State, c.EndedAt, byEnd[i].end)
		}
	}

	// Oldest first, and pages of 5 that add up to the whole list.
	asc := e.searchCDRs(map[string]any{"pagination": map[string]any{"count": 100, "sorting": map[string]int{"ended_at": 1}}})
	oldest := ids(byEnd)
	slices.Reverse(oldest)
	if got := pageIDs(t, asc); !slices.Equal(got, oldest) {
		t.Errorf("oldest first: %v", got)
	}
	var paged []string
	for start := 0; start < len(all)+5; start += 5 {
		p := e.searchCDRs(map[string]any{"pagination": map[string]any{"start": start, "count": 5}})
		if p.Pagination.Total != len(all) || p.Pagination.Start != start || p.Pagination.Count != 5 {
			t.Errorf("page at %d: %+v", start, p.Pagination)
		}
		if want := min(5, max(0, len(all)-start)); len(p.Data) != want {
			t.Errorf("page at %d has %d CDRs, want %d", start, len(p.Data), want)
		}
		paged = append(paged, pageIDs(t, p)...)
	}
	if !slices.Equal(paged, ids(byEnd)) {
		t.Errorf("pages of 5 give %v", paged)
	}

	// Each condition, alone and combined, with a second page where there is one.
	from, to := storyT0.Add(6*time.Minute), storyT0.Add(14*time.Minute)
	cases := []struct {
		name  string
		conds map[string]any
		want  []string
	}{
		{"number", map[string]any{"number": "09121234567"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && (p.st.Kind == sim.QueueAnswered || p.st.Kind == sim.Missed)
		})},
		{"number suffix", map[string]any{"number": "9121234567"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && (p.st.Kind == sim.QueueAnswered || p.st.Kind == sim.Missed)
		})},
		{"number as typed", map[string]any{"number": "0912 123"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && p.st.Kind != sim.Outbound // callers 09121234567 and 0912123450 x
		})},
		{"number E.164", map[string]any{"number": "+447700900123"}, where(func(p playedStory) bool {
			// the transfer's caller "+44770090012 3" is the same number with a space in it
			return p.vendor == "cloudcdr" && (p.st.Kind == sim.QueueAnswered || p.st.Kind == sim.Missed || p.st.Kind == sim.Transfer)
		})},
		{"callee of an outbound call", map[string]any{"number": "602111222"}, where(func(p playedStory) bool {
			return p.vendor == "voipex" && p.st.Kind == sim.Outbound
		})},
		{"dialed number", map[string]any{"number": "+375172000100"}, where(func(p playedStory) bool {
			return p.vendor == "sipsim" && p.st.Kind != sim.Outbound
		})},
		{"source", map[string]any{"source": "ipex"}, where(func(p playedStory) bool { return p.vendor == "voipex" })},
		{"direction", map[string]any{"direction": "outbound"}, where(func(p playedStory) bool { return p.st.Kind == sim.Outbound })},
		{"queue", map[string]any{"queue": "pbx1:900"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && p.st.Kind != sim.Outbound
		})},
		{"time range", map[string]any{"from": from, "to": to}, where(func(p playedStory) bool {
			return !p.end.Before(from) && p.end.Before(to)
		})},
		{"source and disposition", map[string]any{"source": "pbx1", "disposition": "answered"}, where(func(p playedStory) bool {
			return p.vendor == "simotel" && p.st.Answered
		})},
		{"direction, source and time", map[string]any{"direction": "inbound", "source": "sipsim", "from": from}, where(func(p playedStory) bool {
			return p.vendor == "sipsim" && p.st.Kind != sim.Outbound && !p.end.Before(from)
		})},
		{"nothing", map[string]any{"number": "0000000000"}, nil},
	}
	// Agent and disposition: the calls whose own JSON says so (the answering agent or
	// any leg; what each vendor reports is in the goldens).
	for _, c := range []struct{ field, value string }{{"agent", "petr"}, {"agent", "cloud:993"}, {"disposition", "answered"}, {"disposition", "missed"}, {"disposition", "busy"}} {
		want := where(func(p playedStory) bool {
			cl := calls[p.id]
			if c.field == "disposition" {
				return string(cl.Disposition) == c.value
			}
			found := cl.Agent == c.value
			for _, l := range cl.Legs {
				found = found || l.Agent == c.value
			}
			return found
		})
		cases = append(cases, struct {
			name  string
			conds map[string]any
			want  []string
		}{c.field + " " + c.value, map[string]any{c.field: c.value}, want})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := e.searchCDRs(map[string]any{"conditions": tc.conds, "pagination": map[string]any{"count": 3}})
			got := pageIDs(t, p)
			if len(tc.want) > 3 {
				got = append(got, pageIDs(t, e.searchCDRs(map[string]any{"conditions": tc.conds, "pagination": map[string]any{"start": 3, "count": 100}}))...)
			}
			if !slices.Equal(got, tc.want) || p.Pagination.Total != len(tc.want) {
				t.Errorf("%s %v: total %d, %v\n want %d, %v", tc.name, tc.conds, p.Pagination.Total, got, len(tc.want), tc.want)
			}
		})
	}
	// The facts the agent and disposition cases rest on, as the stories tell them.
	for _, p := range all {
		c := calls[p.id]
		if p.st.Kind != sim.RecordOnly && p.st.Answered != (c.Disposition == call.Answered) {
			t.Errorf("%s %s: disposition %s", p.vendor, p.st.Kind, c.Disposition)
		}
		if p.st.Kind == sim.Outbound && p.vendor != "cloudcdr" && c.Agent != "petr" {
			t.Errorf("%s outbound: agent %q, want petr", p.vendor, c.Agent)
		}
	}
	if code, _ := e.api("POST", "/api/v1/cdrs/search", nil); code != 200 {
		t.Errorf("search without a body: %d", code)
	}
}
