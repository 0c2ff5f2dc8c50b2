package server

import (
	"errors"
	"math"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"ringside/server/config"
	"ringside/server/live"
	"ringside/server/simotel"
)

// running is what a configuration reload replaces in one step. Handlers read it
// through s.cfg(), s.users(), s.limits() and s.pbx(); each holds whole values that are
// never changed in place, so a request sees one configuration or the next.
type running struct {
	cfg    *config.Config
	users  *users
	limits map[string]*rate.Limiter // per source; none for a source without a limit
	pbx    map[string]*simotel.Client
}

func (s *Server) cfg() *config.Config              { return s.rt.Load().cfg }
func (s *Server) users() *users                    { return s.rt.Load().users }
func (s *Server) limits() map[string]*rate.Limiter { return s.rt.Load().limits }
func (s *Server) pbx() map[string]*simotel.Client  { return s.rt.Load().pbx }

// newRunning builds the running parts of cfg. prev (may be nil) lends what need not be
// rebuilt: bcrypt hashes of unchanged passwords, and each source's limiter, so a
// reload neither costs a bcrypt per user nor refills every bucket.
func newRunning(cfg *config.Config, prev *running) *running {
	r := &running{cfg: cfg, limits: map[string]*rate.Limiter{}, pbx: pbxClients(cfg)}
	var old *users
	if prev != nil {
		old = prev.users
	}
	r.users = newUsers(cfg.Users, old)
	for _, src := range cfg.Sources {
		if src.RateLimit <= 0 {
			continue
		}
		lim, burst := rate.Limit(src.RateLimit), int(math.Ceil(src.RateLimit))
		if prev != nil && prev.limits[src.Name] != nil {
			l := prev.limits[src.Name]
			l.SetLimit(lim)
			l.SetBurst(burst)
			r.limits[src.Name] = l
			continue
		}
		r.limits[src.Name] = rate.NewLimiter(lim, burst)
	}
	return r
}

// SetConfigLoader tells the server how to re-read its configuration (the same
// flags, environment and file it started with). Without one, reload is refused.
func (s *Server) SetConfigLoader(load func() (*config.Config, error)) {
	s.reloadMu.Lock()
	s.loadConfig = load
	s.reloadMu.Unlock()
}

// ReloadConfig re-reads the configuration and applies it (SIGHUP, the settings
// page). A file that does not load is refused with its error (file:line: key) and
// the running configuration stays.
func (s *Server) ReloadConfig() error {
	s.reloadMu.Lock()
	load := s.loadConfig
	s.reloadMu.Unlock()
	if load == nil {
		return errors.New("this server was not started with a configuration it can re-read")
	}
	cfg, err := load()
	if err != nil {
		s.noteReload(err)
		s.log.Error("configuration reload refused; the running configuration stays", "err", err)
		return err
	}
	return s.Reload(cfg)
}

// Reload applies cfg (already checked) without stopping intake: users, agents, queues,
// thresholds and sources change at once; the board is rebuilt with the new directory
// and queue settings off the request path. listen, data and log_format need a
// restart; a change to them is logged and otherwise ignored.
func (s *Server) Reload(cfg *config.Config) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.cfg()
	if cfg.Listen != old.Listen || cfg.Data != old.Data || cfg.LogFormat != old.LogFormat {
		s.log.Warn("listen, data and log_format change only on a restart", "listen", old.Listen, "data", old.Data)
		cfg.Listen, cfg.Data, cfg.LogFormat = old.Listen, old.Data, old.LogFormat
	}
	s.rt.Store(newRunning(cfg, s.rt.Load()))
	s.closeEndedSockets()
	s.hours.setRules(live.NewRules(liveConfig(cfg)))
	took := s.board.reconfigure(cfg)
	s.noteReload(nil)
	s.log.Info("configuration reloaded", "file", cfg.File, "sources", len(cfg.Sources), "users", len(cfg.Users),
		"agents", len(cfg.Agents), "queues", len(cfg.Queues), "board_rebuilt_in", took.Round(time.Millisecond).String(),
		"added_sources", added(old.Sources, cfg.Sources), "removed_sources", added(cfg.Sources, old.Sources))
	return nil
}

// setRules gives the hourly chart new queue thresholds and drops what it cached.
func (h *hourCache) setRules(r live.Rules) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules, h.zones = r, nil
}

// added names the sources in now that were not in before.
func added(before, now []config.Source) []string {
	var out []string
	for _, s := range now {
		if !slices.ContainsFunc(before, func(b config.Source) bool { return b.Name == s.Name }) {
			out = append(out, s.Name)
		}
	}
	return out
}

// reloadNote is the outcome of the last reload, for the settings page.
type reloadNote struct {
	At  time.Time
	Err string
}

func (s *Server) noteReload(err error) {
	n := reloadNote{At: s.now()}
	if err != nil {
		n.Err = err.Error()
	}
	s.lastReload.Store(&n)
}

// pageReload is the settings page's "Reload configuration" button: the outcome
// shows on the page it returns to.
func (s *Server) pageReload(c *fiber.Ctx) error {
	if err := s.ReloadConfig(); err != nil && s.lastReload.Load() == nil {
		s.noteReload(err) // no loader: nothing was noted
	}
	return c.Redirect("/settings", fiber.StatusSeeOther)
}
