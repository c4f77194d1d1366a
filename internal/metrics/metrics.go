// Package metrics owns the server's Prometheus metrics: one registry of
// our own (never the global default, so that tests and several servers in
// one process do not collide), the families the API layer and the
// background workers record, and the handler that exposes them. Domain
// packages do not import it: they report through callbacks and counters
// that the caller wires here.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every family of ours.
const Namespace = "stockgraph"

// MaxOperationNames bounds the operation label's values: operation names
// are chosen by clients, and each new one would be a new series. Names
// past this many distinct ones are counted as OtherOperation.
const MaxOperationNames = 200

// Labels for operations that have no name of their own.
const (
	AnonymousOperation = "_anonymous"
	OtherOperation     = "_other"
	// NoOperation is a request refused before its document was read
	// (401, 413, malformed body).
	NoOperation = "_none"
)

// Metrics is one server's set of metrics. A nil *Metrics records nothing,
// so that callers need no checks.
type Metrics struct {
	registry   *prometheus.Registry
	httpReqs   *prometheus.CounterVec
	httpTime   *prometheus.HistogramVec
	operations *prometheus.CounterVec
	opTime     *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	webhooks   *prometheus.CounterVec
	throttled  prometheus.Counter
	expired    prometheus.Counter
	eventsLag  prometheus.Histogram
	groups     *prometheus.HistogramVec

	mu    sync.Mutex
	names map[string]bool
}

// New returns a fresh registry with the Go runtime and process
// collectors and every family of ours registered.
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry(), names: map[string]bool{}}
	m.httpReqs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by path and status code."}, []string{"path", "status"})
	m.httpTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
		Help: "Time to answer an HTTP request (a websocket's whole life for upgrades), by path.", Buckets: prometheus.DefBuckets}, []string{"path"})
	m.operations = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "graphql_operations_total",
		Help: "GraphQL operations run, by operation name, type and outcome (ok or error)."}, []string{"operation", "type", "outcome"})
	m.opTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "graphql_operation_duration_seconds",
		Help:    "Time to run a GraphQL query or mutation, by operation name and type (subscriptions: time to their first response).",
		Buckets: prometheus.DefBuckets}, []string{"operation", "type"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "graphql_errors_total",
		Help: "Errors answered to clients, by extensions.code."}, []string{"code"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "webhook_attempts_total",
		Help: "Webhook delivery attempts, by result: succeeded, retrying (failed, tried again later) or failed (given up)."}, []string{"result"})
	m.throttled = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "webhook_deliveries_throttled_total",
		Help: "Webhook deliveries claimed when their store's bucket could not pay the attempt, and put back for later."})
	m.expired = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "reservations_expired_total",
		Help: "Reservations that lapsed by their ttl and returned their units."})
	m.eventsLag = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "events_lag_seconds",
		Help:    "Age of the oldest event in each read of the shared subscription feeds: how far they run behind the writes.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}})
	m.groups = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "coalesced_group_size",
		Help:    "Requests each transaction of a busy item's coalesced writes applied, by kind (adjustment, order): 1 is a request that found its item idle.",
		Buckets: []float64{1, 2, 4, 8, 16, 32}}, []string{"kind"})
	// Zero series from the start, so that a rate() sees the first one.
	for _, result := range []string{"succeeded", "retrying", "failed"} {
		m.webhooks.WithLabelValues(result)
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpReqs, m.httpTime, m.operations, m.opTime, m.errors, m.webhooks, m.throttled, m.expired, m.eventsLag, m.groups)
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry returns the registry, for families registered elsewhere.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// HTTPRequest records one answered HTTP request. path must be one of the
// server's own routes, never the client's URL.
func (m *Metrics) HTTPRequest(path string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.httpReqs.WithLabelValues(path, strconv.Itoa(status)).Inc()
	m.httpTime.WithLabelValues(path).Observe(took.Seconds())
}

// Operation records one GraphQL operation.
func (m *Metrics) Operation(name, typ string, failed bool, took time.Duration) {
	if m == nil {
		return
	}
	name = m.operationLabel(name)
	outcome := "ok"
	if failed {
		outcome = "error"
	}
	m.operations.WithLabelValues(name, typ, outcome).Inc()
	m.opTime.WithLabelValues(name, typ).Observe(took.Seconds())
}

// operationLabel bounds the operation label's values (MaxOperationNames).
func (m *Metrics) operationLabel(name string) string {
	if name == "" {
		return AnonymousOperation
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= MaxOperationNames || len(name) > 64 {
		return OtherOperation
	}
	m.names[name] = true
	return name
}

// Error records one error answered with code.
func (m *Metrics) Error(code string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(code).Inc()
}

// WebhookAttempt records a webhook delivery attempt's result: "succeeded",
// "retrying" or "failed".
func (m *Metrics) WebhookAttempt(result string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(result).Inc()
}

// WebhookThrottled records a webhook delivery put back because its
// store's bucket could not pay the attempt.
func (m *Metrics) WebhookThrottled() {
	if m == nil {
		return
	}
	m.throttled.Inc()
}

// ReservationsExpired records n reservations that lapsed.
func (m *Metrics) ReservationsExpired(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.expired.Add(float64(n))
}

// EventsLag records how old the oldest event of a shared feed's read was.
func (m *Metrics) EventsLag(age time.Duration) {
	if m == nil {
		return
	}
	m.eventsLag.Observe(age.Seconds())
}

// PoolStats is a snapshot of the database connection pool.
type PoolStats struct {
	// MaxConns is the pool's size; Taken and Idle its connections in use
	// and waiting for use.
	MaxConns, Taken, Idle int32
	// Waits counts the acquires that found no idle connection and waited
	// for one to be handed back or opened, WaitTime the time they waited.
	Waits    int64
	WaitTime time.Duration
	// AcquireTimeouts counts the acquires that gave up after the acquire
	// timeout (each an UNAVAILABLE answer, or a failed background pass).
	AcquireTimeouts int64
}

// Pool registers the connection pool's families, stockgraph_db_pool_*,
// read from stats at each scrape.
func (m *Metrics) Pool(stats func() PoolStats) {
	if m == nil {
		return
	}
	m.registry.MustRegister(poolCollector{stats: stats})
}

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "db_pool", name), help, nil, nil)
}

var (
	poolMax      = poolDesc("max_connections", "The most connections the pool opens.")
	poolTaken    = poolDesc("connections_taken", "Connections in use by a statement or transaction.")
	poolIdle     = poolDesc("connections_idle", "Open connections waiting for use.")
	poolWaits    = poolDesc("waits_total", "Acquires that found no idle connection and waited for one to come free or be opened.")
	poolWaitTime = poolDesc("wait_seconds_total", "Time those acquires waited.")
	poolTimeouts = poolDesc("acquire_timeouts_total", "Acquires that gave up after the acquire timeout (STOCKGRAPH_ACQUIRE_TIMEOUT).")
)

// poolCollector reads the pool's statistics once per scrape, so that
// its families are one consistent snapshot.
type poolCollector struct{ stats func() PoolStats }

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMax, poolTaken, poolIdle, poolWaits, poolWaitTime, poolTimeouts} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	ch <- prometheus.MustNewConstMetric(poolMax, gauge, float64(s.MaxConns))
	ch <- prometheus.MustNewConstMetric(poolTaken, gauge, float64(s.Taken))
	ch <- prometheus.MustNewConstMetric(poolIdle, gauge, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(poolWaits, counter, float64(s.Waits))
	ch <- prometheus.MustNewConstMetric(poolWaitTime, counter, s.WaitTime.Seconds())
	ch <- prometheus.MustNewConstMetric(poolTimeouts, counter, float64(s.AcquireTimeouts))
}

// CounterFunc registers a counter read from f at each scrape, for
// counters kept elsewhere (statements run, deadlocks met).
func (m *Metrics) CounterFunc(name, help string, f func() float64) {
	if m == nil {
		return
	}
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

// GaugeFunc registers a gauge read from f at each scrape.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	if m == nil {
		return
	}
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, f))
}

// CoalescedGroup returns what records the size of each group of a kind
// of coalesced write ("adjustment", "order"); nil records nothing.
func (m *Metrics) CoalescedGroup(kind string) func(size int) {
	if m == nil {
		return nil
	}
	h := m.groups.WithLabelValues(kind)
	return func(size int) { h.Observe(float64(size)) }
}
