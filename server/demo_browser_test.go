package server

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ringside/server/config"
	"ringside/server/sim"
)

// demoEnv is the demo's simulated call center in a browser test: every vendor's test
// source, the generator's agents in the directory (with their queues where the vendor
// reports no presence), traffic posted through the real /hooks at the generator's speed,
// and Chromium through the cut proxy.
type demoEnv struct {
	*browserEnv
	gen    *sim.Generator
	agent  string // the directory id of the agent user "agent"
	srcs   []sim.Source
	cancel context.CancelFunc
	done   chan struct{}
}

// startDemo starts the server and the browser (not yet the traffic); setup may change
// the configuration first. Users: sup (supervisor) and agent (the first simulated agent).
func startDemo(t *testing.T, opt sim.Options, setup func(*config.Config)) *demoEnv {
	exe := chromium(t)
	cfg := testConfig(t)
	var srcs []sim.Source
	for _, s := range cfg.Sources {
		src := simSource(t, cfg, s.Name, "")
		src.Variant = sim.VariantMix
		srcs = append(srcs, src)
	}
	g := sim.NewGenerator(11, srcs, opt)
	cfg.Agents = demoDirectory(g)
	cfg.Users = []config.User{
		{Name: "sup", PasswordHash: cheapHash(), Role: "supervisor"},
		{Name: "agent", PasswordHash: cheapHash(), Role: "agent", Agent: cfg.Agents[0].ID},
	}
	if setup != nil {
		setup(cfg)
	}
	e := &browserEnv{testEnv: startEnv(t, cfg), top: t}
	e.proxy = newCutProxy(t, strings.TrimPrefix(e.url, "http://"))
	e.root = startChromium(t, exe)
	return &demoEnv{browserEnv: e, gen: g, agent: cfg.Agents[0].ID, srcs: srcs}
}

// demoDirectory names the generator's agents as the demo does ("Ali Rezaei" is
// ali.rezaei), one identity per vendor login, extension and number; SipSim and cloudcdr
// agents list their queues (those vendors report no presence).
func demoDirectory(g *sim.Generator) []config.Agent {
	var out []config.Agent
	for _, s := range g.Sources() {
		for _, a := range g.Agents(s.Name) {
			id := strings.ToLower(strings.ReplaceAll(a.Name, " ", "."))
			var match []string
			for _, ident := range []string{a.Login, a.Ext, a.Number} {
				if ident != "" {
					match = append(match, s.Name+":"+ident)
				}
			}
			var queues []string
			if v := strings.ToLower(s.Vendor); v == "sipsim" || v == "cloudcdr" {
				for _, q := range g.Queues(s.Name) {
					if slices.Contains(q.Members, a) {
						queues = append(queues, s.Name+":"+q.Name)
					}
				}
			}
			if i := slices.IndexFunc(out, func(x config.Agent) bool { return x.ID == id }); i >= 0 {
				out[i].Match = append(out[i].Match, match...)
				out[i].Queues = append(out[i].Queues, queues...)
			} else {
				out = append(out, config.Agent{ID: id, Name: a.Name, Match: match, Queues: queues})
			}
		}
	}
	return out
}

// play posts the generator's stories to the server, as the demo does, until stop.
func (e *demoEnv) play() {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan struct{})
	go func() {
		defer close(e.done)
		st, _ := sim.Run(ctx, &sim.Poster{BaseURL: e.url}, e.gen, 0)
		if st.Status != nil && (st.Sent != st.OK || st.Errors > 0) {
			e.top.Errorf("demo traffic: %s", st)
		}
	}()
	e.top.Cleanup(e.stop)
}

// stop ends the traffic and waits for its posts to return.
func (e *demoEnv) stop() {
	if e.cancel != nil {
		e.cancel()
		<-e.done
		e.cancel = nil
	}
}

// console collects what a person's page writes to the console as errors (console.error,
// uncaught exceptions, the browser's own error log: failed loads, WebSocket failures).
type console struct {
	mu   sync.Mutex
	errs []string
}

func (p *person) watchConsole() *console {
	c := &console{}
	msgs := chromedp.Console(p.ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				c.mu.Lock()
				c.errs = append(c.errs, m.String()+" ("+m.URL+")")
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *console) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.errs)
}

// A demo minute (compressed: every vendor's traffic at 30× for 40 s, so calls ring,
// get answered, end, queue and abandon many times over) on the real pages of each role,
// over their real WebSockets: not one error in the console. htmx reported a live
// fragment for something new to a page (a new call row, agent, queue tile) or the
// removal of something a page never showed as htmx:oobErrorNoTarget, in red.
func TestConsoleCleanDuringDemo(t *testing.T) {
	e := startDemo(t, sim.Options{Speed: 30}, nil)
	pages := []struct {
		who, path string
		p         *person
		console   *console
	}{{who: "sup", path: "/wallboard"}, {who: "sup", path: "/wallboard?tv=1"}, {who: "agent", path: "/agent"}, {who: "sup", path: "/cdrs"}}
	for i := range pages {
		pg := &pages[i]
		pg.p = e.login(pg.who)
		if strings.Contains(pg.path, "tv=1") {
			pg.p.do(chromedp.EmulateViewport(1920, 1080))
		}
		pg.console = pg.p.watchConsole()
		pg.p.goTo(pg.path)
	}
	e.play()
	time.Sleep(40 * time.Second)
	e.stop()
	// the pages took part: agents and calls went by on the wallboard, into the records
	wall, cdrs := pages[0].p, pages[3].p
	wall.waitFor("agents on the wallboard", `document.querySelectorAll("#agent-rows > .tr").length > 0`)
	cdrs.waitFor("live call records", `document.querySelectorAll("#cdr-rows > *").length > 0`)
	for _, pg := range pages {
		pg.p.notReloaded()
		for _, err := range pg.console.errors() {
			t.Errorf("%s on %s: console: %s", pg.who, pg.path, err)
		}
	}
}
