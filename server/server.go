// Package server is Ringside's HTTP surface: webhook intake, the JSON API, pages and
// the WebSocket. Data flows one way: hooks → ingest → store → live → hub → views.
package server

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"ringside/server/config"
	"ringside/server/hub"
	"ringside/server/live"
	"ringside/store"
)

// MaxBody is the largest webhook body accepted (413 above it).
const MaxBody = 1 << 20

// readTimeout bounds the time to receive a request's headers and body: a client that
// trickles bytes holds its connection no longer.
const readTimeout = 10 * time.Second

// Server holds the running pieces.
type Server struct {
	rt       atomic.Pointer[running] // the configuration and what is built from it
	store    *store.Store
	log      *slog.Logger
	app      *fiber.App
	metrics  *metrics
	guesses  *guessGuard
	exports  exportSlots
	now      func() time.Time
	board    *board
	hub      *hub.Hub
	sessions *sessions
	sockets  liveSockets // open page sockets by session (logout closes them)
	hours    *hourCache
	langs    langPrefs // people's kept language choices
	locales  sync.Map  // variant ("fa|Asia/Tehran") → *i18n.Locale

	reloadMu   sync.Mutex // one reload at a time
	loadConfig func() (*config.Config, error)
	lastReload atomic.Pointer[reloadNote]

	clocks        clockWatch    // vendor times against receive times, by source
	stopNames     chan struct{} // ends the background Simotel API askers (pbxnames.go, voicemail_inbox.go)
	stopNamesOnce sync.Once
}

// New builds the server and starts the live board (snapshot + replay of the log).
// The store must be open; Shutdown stops the board, and the caller closes the store.
func New(cfg *config.Config, st *store.Store, log *slog.Logger) (*Server, error) {
	s := &Server{store: st, log: log, now: time.Now, metrics: newMetrics()}
	s.rt.Store(newRunning(cfg, nil))
	b, err := startBoard(cfg, st, log)
	if err != nil {
		return nil, err
	}
	s.board = b
	b.m = s.metrics
	b.clocks = &s.clocks
	st.OnCommit(func(took time.Duration) { s.metrics.logCommit.Observe(took.Seconds()) })
	if s.sessions, err = loadSessions(cfg.Data, st, s.now()); err != nil {
		return nil, err
	}
	// Every wallboard hears the callers to call back: a second's delay there costs nobody
	// anything, and spares the process a wake-up storm per missed call. A busy wallboard
	// shows four frames a second (an isolated change still shows at once): at 500 events
	// a second, a frame every 50 ms to each of 100 wallboards was most of the server's
	// work (each frame renders its tiles and the summary over every agent), and the
	// screen-pops waited behind it.
	s.hub = hub.New(hub.Options{Windows: map[string]time.Duration{"callbacks": time.Second, topicWallboard: 250 * time.Millisecond}})
	s.hours = &hourCache{st: st, ttl: 10 * time.Second, rules: live.NewRules(liveConfig(cfg))}
	b.onChange = s.push
	b.start()
	s.registerGauges()
	s.guesses = newGuessGuard()
	s.exports = newExportSlots()
	s.app = fiber.New(fiber.Config{
		AppName:                      "ringside",
		BodyLimit:                    MaxBody,
		StreamRequestBody:            true, // see bodylimit.go: bodies are read by the route, within its limit
		DisablePreParseMultipartForm: true, // fasthttp would read a multipart body of any size before any handler
		ReadBufferSize:               maxHeader,
		ReduceMemoryUsage:            true, // an idle keep-alive or WebSocket connection holds no read buffer
		Immutable:                    true, // handlers keep strings past the request (store, board)
		DisableStartupMessage:        true,
		ReadTimeout:                  readTimeout,
		WriteTimeout:                 30 * time.Second,
		IdleTimeout:                  120 * time.Second,
		ErrorHandler:                 s.errorHandler,
	})
	s.routes()
	s.stopNames = make(chan struct{})
	return s, nil
}

// Ready is closed once the board has applied the log present at start.
func (s *Server) Ready() <-chan struct{} { return s.board.ready }

// App exposes the fiber app (tests use App().Test; main listens).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen(s.app.Config().Network, addr) // fiber's default: tcp4
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve serves on a bound listener until Shutdown (main binds first, so what it
// prints about the port is true), with the per-address connection cap.
func (s *Server) Serve(ln net.Listener) error {
	go s.runPBXNames(s.stopNames)
	go s.runVoicemailInbox(s.stopNames)
	go collectLessDuringBursts(s.store, s.board.ready, s.stopNames) // intakefirst.go
	return s.app.Listener(limitConnsPerIP(ln, s.cfg().MaxConnsPerIP, s.log))
}

// Shutdown stops accepting connections and waits for in-flight requests (and so their
// durable writes) to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	d := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
	}
	s.stopNamesOnce.Do(func() { close(s.stopNames) })
	s.hub.Close()
	err := s.app.ShutdownWithTimeout(d)
	s.board.Close()
	s.users().pool.close()
	return err
}
