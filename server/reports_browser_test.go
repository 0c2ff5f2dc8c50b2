package server

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"ringside/server/config"
	"ringside/server/sim"
)

// demoDays plays the demo's simulated call center (every vendor, the generator's
// agents in the directory) through the hooks over the business hours of the last
// days up to now, with the server's clock following the deliveries.
func demoDays(t *testing.T, days int) *scenarioEnv {
	cfg := reportConfig(t)
	cfg.Queues = nil
	var srcs []sim.Source
	for _, s := range cfg.Sources {
		src := simSource(t, cfg, s.Name, "")
		src.Variant = sim.VariantMix
		srcs = append(srcs, src)
	}
	g := sim.NewGenerator(7, srcs, sim.Options{})
	cfg.Agents = nil
	for _, s := range g.Sources() {
		for _, a := range g.Agents(s.Name) {
			id := strings.ToLower(strings.ReplaceAll(a.Name, " ", "."))
			var match []string
			for _, ident := range []string{a.Login, a.Ext, a.Number} {
				if ident != "" {
					match = append(match, s.Name+":"+ident)
				}
			}
			if i := slices.IndexFunc(cfg.Agents, func(x config.Agent) bool { return x.ID == id }); i >= 0 {
				cfg.Agents[i].Match = append(cfg.Agents[i].Match, match...)
			} else {
				cfg.Agents = append(cfg.Agents, config.Agent{ID: id, Name: a.Name, Match: match})
			}
		}
	}
	e := startClocked(t, cfg)
	bySource := map[string]sim.Source{}
	for _, s := range srcs {
		bySource[s.Name] = s
	}
	now := time.Now().UTC().Truncate(time.Second)
	zone := e.srv.zone()
	every := max(g.Interval(), 100*time.Second)
	var ds []timedDelivery
	last := midnight(now.In(zone))
	if now.In(zone).Before(last.Add(9 * time.Hour)) {
		// before an hour of today's traffic (the server's zone may be past midnight
		// while UTC is not): the last of the days is yesterday, so each has its calls
		last = last.AddDate(0, 0, -1)
	}
	for d := days - 1; d >= 0; d-- {
		day := last.AddDate(0, 0, -d)
		for at := day.Add(8 * time.Hour); at.Before(day.Add(18*time.Hour)) && at.Before(now); at = at.Add(every) {
			st := g.Next(at)
			for _, dl := range sim.Render(bySource[st.Source], st) {
				if when := st.Start.Add(dl.At); when.Before(now) {
					ds = append(ds, timedDelivery{bySource[st.Source], when, dl})
				}
			}
		}
	}
	slices.SortStableFunc(ds, func(a, b timedDelivery) int { return a.at.Compare(b.at) })
	for _, d := range ds {
		e.deliver(d)
	}
	e.clk.set(now)
	e.barrier()
	t.Logf("demo data: %d deliveries over %d days", len(ds), days)
	return e
}

// The reports page in a browser with the demo's traffic: every view draws its chart
// and tables, the filters and the CSV links keep the period; screenshots of each view.
func TestReportsPageInBrowser(t *testing.T) {
	exe := chromium(t)
	e := demoDays(t, 3)
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1440, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	p := &person{t: t, ctx: ctx, name: "admin", base: e.url}
	p.do(chromedp.Navigate(e.url+"/reports"), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), personPass+kb.Enter))
	p.waitFor("leaving /login", `location.pathname !== "/login" && document.readyState === "complete"`)

	p.do(chromedp.EmulateViewport(1440, 1500))
	for _, v := range []struct{ view, shot, check string }{
		{"queues", "reports-queues", `document.querySelectorAll("#report-queues tbody tr").length > 1 && document.querySelectorAll(".chart rect.ans").length >= 3`},
		{"agents", "reports-agents", `document.querySelectorAll("#report-agents tbody tr").length > 5 && document.querySelectorAll(".chart rect.talk").length > 3`},
		{"distribution", "reports-distribution", `document.querySelectorAll(".chart.heat rect.cell[fill-opacity]:not([fill-opacity='0%'])").length > 10`},
	} {
		p.goTo("/reports?view=" + v.view + "&period=last_7_days")
		p.shot(v.shot)
		p.waitFor(v.view+" drawn", v.check)
		p.shot(v.shot)
	}
	// Today by hour: the chart's bars are today's hours, and today's totals.
	p.goTo("/reports?view=queues")
	if got := p.eval(`document.querySelector("select[name=by]").value`); got != "hour" {
		t.Errorf("today breaks down by %q, want hour", got)
	}
	p.shot("reports-today")
	// Choosing a period in the form keeps the view.
	p.do(chromedp.SetValue(chromedp.CSS(`select[name=period]`), "yesterday"))
	p.do(chromedp.Click(chromedp.CSS(`form.report-filters button[type=submit]`)))
	p.waitFor("yesterday's report", `location.search.includes("period=yesterday") && location.search.includes("view=queues")`)
	if href := p.eval(`document.querySelector("#report-queues a[download]").getAttribute("href")`); !strings.Contains(href, "period=yesterday") || !strings.Contains(href, "table=queues") {
		t.Errorf("CSV link %q does not keep the period", href)
	}
}
