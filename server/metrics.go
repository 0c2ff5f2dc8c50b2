package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"ringside/server/config"
	"ringside/server/version"
)

// metrics are the figures /metrics exposes, in the Prometheus text format. Each Server
// has its own registry (tests run many servers in one process).
type metrics struct {
	reg *prometheus.Registry

	results    *prometheus.CounterVec // result: accepted | duplicate | rejected | unavailable
	answers    *prometheus.CounterVec // source, code: every answer /hooks gave
	decodeErrs *prometheus.CounterVec // vendor
	dedupe     *prometheus.CounterVec // source: retries acknowledged and not logged again
	unknown    *prometheus.CounterVec // source: vendor events kept as "unknown"
	logAppend  prometheus.Histogram   // a delivery's wait for its durable append (queue + commit)
	logCommit  prometheus.Histogram   // one group commit: write and fsync
	boardApply prometheus.Histogram   // one batch of events folded into the board
	push       prometheus.Histogram   // receipt of a delivery → its changes handed to the hub
	snapshot   prometheus.Histogram   // one board snapshot, CDR flush included
	skipped    prometheus.Counter     // stored events the board could not read and skipped
}

// latencyBuckets span a fast append (0.5 ms) to a stalled disk (10 s).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics() *metrics {
	hist := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ringside_deliveries_total",
			Help: "Webhook deliveries by outcome."}, []string{"result"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ringside_webhook_answers_total",
			Help: `Answers given on /hooks, by source ("unknown" for an unknown name) and HTTP code.`}, []string{"source", "code"}),
		decodeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ringside_decode_errors_total",
			Help: "Deliveries refused as undecodable (400, body kept), by vendor."}, []string{"vendor"}),
		dedupe: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ringside_dedupe_hits_total",
			Help: "Retried deliveries acknowledged without being logged again, by source."}, []string{"source"}),
		unknown: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ringside_unrecognized_events_total",
			Help: "Vendor events Ringside does not know, kept in the log, by source."}, []string{"source"}),
		logAppend: hist("ringside_log_append_seconds", "A delivery's durable append: waiting for and taking part in a group commit.", latencyBuckets),
		logCommit: hist("ringside_log_commit_seconds", "One group commit of the event log: write and fsync.", latencyBuckets),
		boardApply: hist("ringside_board_apply_seconds", "Folding one batch of committed events into the live board.",
			[]float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}),
		push: hist("ringside_push_seconds", "From a delivery's receipt to its changes handed to the WebSocket hub (live, not during a replay).", latencyBuckets),
		snapshot: hist("ringside_snapshot_seconds", "Taking and storing one board snapshot.",
			[]float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "ringside_board_skipped_events_total",
			Help: "Stored events the board could not read (damaged on disk) and skipped; the settings page lists their seqs."}),
	}
	m.reg.MustRegister(m.results, m.answers, m.decodeErrs, m.dedupe, m.unknown,
		m.logAppend, m.logCommit, m.boardApply, m.push, m.snapshot, m.skipped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"accepted", "duplicate", "rejected", "unavailable"} {
		m.results.WithLabelValues(r) // every outcome shows, 0 until it happens
	}
	return m
}

// gauges registers the figures read at scrape time from the running pieces.
func (s *Server) registerGauges() {
	gauge := func(name, help string, f func() float64) {
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	b := s.board
	gauge("ringside_log_seq", "Seq of the last durable event.", func() float64 { return float64(s.store.LastSeq()) })
	gauge("ringside_snapshot_seq", "Seq the stored board snapshot covers.", func() float64 { return float64(s.store.SnapshotSeq()) })
	gauge("ringside_log_waiting", "Deliveries waiting for their group commit now (32 or more: a burst, which background work yields to).",
		func() float64 { return float64(s.store.Waiting()) })
	gauge("ringside_board_seq", "Seq the live board has applied.", func() float64 { return float64(b.progressed.Load()) })
	gauge("ringside_board_ready", "1 once the board has applied the log present at start.", func() float64 { return boolFloat(b.isReady()) })
	gauge("ringside_snapshot_age_seconds", "Time since this process last stored a snapshot (-1: none yet).", func() float64 {
		at := b.snappedAt.Load()
		if at == 0 {
			return -1
		}
		return time.Since(time.Unix(0, at)).Seconds()
	})
	s.registerRetention()
	gauge("ringside_cdr_writer_backlog", "Batches of ended calls queued for the CDR writer.", func() float64 { return float64(len(b.cdrs.in)) })
	s.metrics.reg.MustRegister(&hubCollector{s: s}, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ringside_build_info", Help: "The running version (always 1).", ConstLabels: prometheus.Labels{"version": version.String()},
	}, func() float64 { return 1 }))
}

func boolFloat(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// hubCollector reads the hub's per-topic figures at scrape time.
type hubCollector struct{ s *Server }

var (
	wsClientsDesc = prometheus.NewDesc("ringside_ws_subscribers", "Open WebSocket subscriptions by topic kind.", []string{"topic"}, nil)
	wsDropsDesc   = prometheus.NewDesc("ringside_ws_dropped_frames_total", "Frames not delivered because a socket's queue overflowed, by topic kind.", []string{"topic"}, nil)
	wsConnsDesc   = prometheus.NewDesc("ringside_ws_connections", "Open WebSocket connections.", nil, nil)
)

func (h *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- wsClientsDesc
	ch <- wsDropsDesc
	ch <- wsConnsDesc
}

func (h *hubCollector) Collect(ch chan<- prometheus.Metric) {
	hb := h.s.hub
	ch <- prometheus.MustNewConstMetric(wsConnsDesc, prometheus.GaugeValue, float64(hb.Stats().Connections))
	for topic, st := range hb.TopicStats() {
		ch <- prometheus.MustNewConstMetric(wsClientsDesc, prometheus.GaugeValue, float64(st.Subscribers), topic)
		ch <- prometheus.MustNewConstMetric(wsDropsDesc, prometheus.CounterValue, float64(st.Dropped), topic)
	}
}

// countAnswer is /hooks' outermost handler: it counts every answer by source and code.
func (s *Server) countAnswer(c *fiber.Ctx) error {
	err := c.Next()
	code := c.Response().StatusCode()
	if err != nil {
		if fe, ok := err.(*fiber.Error); ok {
			code = fe.Code
		} else {
			code = fiber.StatusInternalServerError
		}
	}
	src := c.Params("source")
	if _, ok := s.cfg().Source(src); !ok {
		src = "unknown" // a name from the URL must not make series without bound
	}
	s.metrics.answers.WithLabelValues(src, strconv.Itoa(code)).Inc()
	return err
}

// metricsAuth admits a scraper with "Authorization: Bearer <metrics_token>", an
// admin's page session, or an admin's Basic/API-key credentials.
func (s *Server) metricsAuth(c *fiber.Ctx) error {
	if tok := s.cfg().MetricsToken; tok != "" {
		if h := c.Get(fiber.HeaderAuthorization); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			if equal(strings.TrimSpace(h[7:]), tok) {
				return c.Next()
			}
			return apiError(c, fiber.StatusUnauthorized, "invalid metrics token")
		}
	}
	if sess, ok := s.session(c); ok {
		if !may(sess.User, administer) {
			return apiDenied(c)
		}
		return c.Next()
	}
	return s.apiAuth(c) // then handleMetrics checks the role
}

func (s *Server) opsMetrics(c *fiber.Ctx) error {
	if u, ok := c.Locals("user").(*config.User); ok && !may(u, administer) {
		return apiDenied(c)
	}
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		s.log.Warn("gathering metrics", "err", err) // partial figures are still worth serving
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	c.Set(fiber.HeaderContentType, string(format))
	enc := expfmt.NewEncoder(c.Response().BodyWriter(), format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
