package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"ringside/server/call"
	"ringside/server/report"
	"ringside/server/sim"
	"ringside/store"
)

// cdrsPerDay spreads the stored CDRs over days ending now, so a date filter selects
// a known share (ten days hold 100k).
const cdrsPerDay = 10000

// fillCDRs stores n CDRs at path: copies of real-shaped templates (see cdrTemplates)
// with their own ids, callers from a pool of n/5 numbers, and times spread evenly
// over the last n/cdrsPerDay days. Written in large batches without fsync (a prefill),
// with the report buckets the server keeps as calls end (counted by rules, the
// server's), so the server starts on a store like one that took the calls live.
func fillCDRs(ctx context.Context, path string, srcs []sim.Source, n int, rules report.Rules) error {
	tpl, err := cdrTemplates(srcs, min(n, 1000))
	if err != nil {
		return err
	}
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		return err
	}
	days := max(1, (n+cdrsPerDay-1)/cdrsPerDay)
	now := time.Now()
	first := now.Add(-time.Duration(days) * 24 * time.Hour)
	gap := time.Duration(days) * 24 * time.Hour / time.Duration(n)
	r := rand.New(rand.NewPCG(1, 2))
	numbers := max(1, n/5)
	batch := make([]call.Call, 0, 10000)
	for i := 0; i < n && err == nil; i++ {
		num := fmt.Sprintf("09%09d", r.IntN(numbers)*7919%1000000000)
		batch = append(batch, copyCDR(tpl[i%len(tpl)], i, first.Add(time.Duration(i)*gap), num))
		if len(batch) == cap(batch) || i == n-1 {
			if err = st.PutCDRs(ctx, batch); err == nil {
				err = report.Update(st, rules, batch, nil)
			}
			batch = batch[:0]
		}
	}
	if err == nil {
		err = report.MarkBuilt(st, rules)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyCDR is template t as call number i, ended at end, with number as the caller.
func copyCDR(t call.Call, i int, end time.Time, number string) call.Call {
	c := t
	ref := t.StartedAt
	if t.EndedAt != nil {
		ref = t.EndedAt
	}
	shift := time.Duration(0)
	if ref != nil {
		shift = end.Sub(*ref)
	}
	mv := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.Add(shift)
		return &v
	}
	c.ID = fmt.Sprintf("%s:bench.%d", t.Source, i)
	c.StartedAt, c.AnsweredAt, c.EndedAt = mv(t.StartedAt), mv(t.AnsweredAt), mv(t.EndedAt)
	if c.Direction == call.Outbound {
		c.To = number
	} else {
		c.From = number
	}
	c.Legs = slices.Clone(t.Legs)
	for j := range c.Legs {
		c.Legs[j].StartedAt, c.Legs[j].EndedAt = mv(t.Legs[j].StartedAt), mv(t.Legs[j].EndedAt)
	}
	c.Transfers = slices.Clone(t.Transfers)
	for j := range c.Transfers {
		c.Transfers[j].At = c.Transfers[j].At.Add(shift)
	}
	c.Recordings = slices.Clone(t.Recordings)
	for j := range c.Recordings {
		c.Recordings[j].URL = fmt.Sprintf("/recordings/%s/%d", c.ID, j)
	}
	c.Events = nil
	return c
}

// searchReq is POST /api/v1/cdrs/search's body.
type searchReq struct {
	Conditions map[string]any `json:"conditions"`
	Pagination struct {
		Start   int            `json:"start"`
		Count   int            `json:"count"`
		Sorting map[string]int `json:"sorting"`
	} `json:"pagination"`
}

type searchResp struct {
	Success int    `json:"success"`
	Message string `json:"message"`
	Data    struct {
		Pagination struct {
			Total int `json:"total"`
		} `json:"pagination"`
		Data []call.Call `json:"data"`
	} `json:"data"`
}

func search(ctx context.Context, s *server, key string, q searchReq) (searchResp, error) {
	var out searchResp
	body, _ := json.Marshal(q)
	req, _ := http.NewRequestWithContext(ctx, "POST", s.base+"/api/v1/cdrs/search", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-APIKEY", key)
	resp, err := quickClient.Do(req)
	if err != nil {
		return out, err
	}
	defer drain(resp.Body)
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.Success != 1 {
		return out, fmt.Errorf("CDR search: %s %s %v", resp.Status, out.Message, err)
	}
	return out, nil
}

// searchResult is the CDR search latency over a mix of filtered, paged searches.
type searchResult struct {
	p95, p50 time.Duration
	byKind   map[string]float64 // p95 in ms of each kind of search, to tell which is slow
	n, hits  int
	total    int // CDRs stored (the unfiltered total)
}

// measureSearch times n searches like a manager's: by agent, queue and outcome, caller
// number (suffix), source and direction in a date range, and deep pages. The values
// searched for are taken from the newest stored CDRs.
func measureSearch(ctx context.Context, s *server, key string, n int) (searchResult, error) {
	var res searchResult
	var seed searchReq
	seed.Pagination.Count = 1000
	all, err := search(ctx, s, key, seed)
	if err != nil {
		return res, err
	}
	res.total = all.Data.Pagination.Total
	if len(all.Data.Data) == 0 {
		return res, fmt.Errorf("CDR search: no CDRs stored")
	}
	rows := all.Data.Data
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(ok func(call.Call) bool) call.Call { // a random row with ok, if any
		for range 50 {
			if c := rows[r.IntN(len(rows))]; ok(c) {
				return c
			}
		}
		return rows[0]
	}
	anyRow := func(call.Call) bool { return true }
	newest := time.Now()
	if t := rows[0].EndedAt; t != nil {
		newest = *t
	}
	day := 24 * time.Hour
	kinds := []string{"agent_paged", "queue_missed_week", "number_suffix", "source_inbound_3d", "answered_deep_page", "direction_disposition_day", "number_infix"}
	queries := func(i int) searchReq {
		var q searchReq
		q.Pagination.Count = 50
		q.Pagination.Sorting = map[string]int{"ended_at": -1}
		c := pick(anyRow)
		switch i % len(kinds) {
		case 0: // an agent's calls, some page of them
			c = pick(func(c call.Call) bool { return c.Agent != "" })
			q.Conditions = map[string]any{"agent": c.Agent}
			q.Pagination.Start = 50 * r.IntN(4)
		case 1: // a queue's missed calls this week
			c = pick(func(c call.Call) bool { return c.Queue != "" })
			q.Conditions = map[string]any{"queue": c.Queue, "disposition": "missed", "from": newest.Add(-7 * day), "to": newest.Add(time.Second)}
		case 2: // everything about a caller, by the number's last nine digits
			num := c.From
			if c.Direction == call.Outbound {
				num = c.To
			}
			q.Conditions = map[string]any{"number": num[max(0, len(num)-9):]}
		case 3: // one source's inbound calls in a three-day window
			to := newest.Add(-time.Duration(r.IntN(5)) * day)
			q.Conditions = map[string]any{"source": c.Source, "direction": "inbound", "from": to.Add(-3 * day), "to": to}
		case 4: // answered calls, a deep page
			q.Conditions = map[string]any{"disposition": "answered"}
			q.Pagination.Start = 50 * (10 + r.IntN(40))
		case 5: // the newest of a direction and outcome, oldest first within a day
			q.Conditions = map[string]any{"direction": c.Direction, "disposition": c.Disposition, "from": newest.Add(-day)}
			q.Pagination.Sorting = map[string]int{"ended_at": 1}
		case 6: // four digits from the middle of a caller's number, as people type a half-remembered one
			num := c.From
			if c.Direction == call.Outbound {
				num = c.To
			}
			mid := max(0, len(num)/2-2)
			q.Conditions = map[string]any{"number": num[mid:min(len(num), mid+4)]}
		}
		return q
	}
	for i := range len(kinds) { // warm up: one of each
		if _, err := search(ctx, s, key, queries(i)); err != nil {
			return res, err
		}
	}
	lat := make([]time.Duration, 0, n)
	kindLat := make([][]time.Duration, len(kinds))
	for i := range n {
		q := queries(i)
		t := time.Now()
		out, err := search(ctx, s, key, q)
		if err != nil {
			return res, err
		}
		took := time.Since(t)
		lat = append(lat, took)
		kindLat[i%len(kinds)] = append(kindLat[i%len(kinds)], took)
		if len(out.Data.Data) > 0 {
			res.hits++
		}
	}
	slices.Sort(lat)
	res.n, res.p50, res.p95 = n, percentile(lat, 0.50), percentile(lat, 0.95)
	res.byKind = map[string]float64{}
	for k, l := range kindLat {
		if len(l) > 0 {
			slices.Sort(l)
			res.byKind[kinds[k]] = ms(percentile(l, 0.95))
		}
	}
	return res, nil
}

// measureCSV downloads GET /cdrs.csv for the last days days (as the supervisor's
// session, like the page's export button) and returns the rows and the time to
// receive them all.
func measureCSV(ctx context.Context, s *server, session string, days int, zone *time.Location) (int, time.Duration, error) {
	now := time.Now().In(zone)
	q := url.Values{"from": {now.AddDate(0, 0, 1-days).Format("2006-01-02")}, "to": {now.Format("2006-01-02")}}
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/cdrs.csv?"+q.Encode(), nil)
	req.AddCookie(&http.Cookie{Name: "ringside_session", Value: session})
	c := &http.Client{Timeout: 5 * time.Minute}
	t := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return 0, 0, fmt.Errorf("GET /cdrs.csv: %s %s", resp.Status, b)
	}
	lines := 0
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	buf := make([]byte, 64<<10)
	for {
		k, err := br.Read(buf)
		lines += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return lines - 1, time.Since(t), nil // the header line
}
