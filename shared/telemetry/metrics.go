package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names. The HTTP histogram follows the OpenTelemetry semantic
// conventions, so dashboards built for them work; the rest are ours.
const (
	MetricRequestDuration = "http.server.request.duration"
	MetricCacheLookups    = "partyfinder.cache.lookups"
	MetricEventLag        = "partyfinder.events.lag"
	MetricEventsHandled   = "partyfinder.events.handled"
	MetricRedeliveries    = "partyfinder.events.redeliveries"
	MetricImportRows      = "partyfinder.import.rows"
)

// Outcomes of a handled event (MetricEventsHandled).
const (
	EventOK    = "ok"
	EventError = "error"
)

// Metrics holds the application's own instruments. Recording costs no
// allocation once a route's attributes have been seen: the attribute
// sets are built once per (function, route, method, status class).
//
// The zero value is not usable; a nil *Metrics records nothing.
type Metrics struct {
	requests     metric.Float64Histogram
	eventLag     metric.Float64Histogram
	handled      metric.Int64Counter
	redeliveries metric.Int64Counter
	importRows   metric.Int64Counter
	caches       metric.Int64ObservableCounter
	meter        metric.Meter

	reqAttrs sync.Map // requestKey -> metric.MeasurementOption
}

type requestKey struct {
	fn, route, method string
	class             int
}

// Latency buckets in seconds: the feed answers in under a millisecond, a
// write in tens, and the SLO threshold (0.3 s, 1 s) must fall on a bound.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 1, 2.5, 5, 10}

// Event lag buckets in seconds: in-process relays take milliseconds,
// Pub/Sub pushes seconds, retries with backoff minutes.
var lagBuckets = []float64{0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 1800}

// NewMetrics creates the instruments on mp's meter.
func NewMetrics(mp metric.MeterProvider) (*Metrics, error) {
	m := &Metrics{meter: mp.Meter("github.com/partyfinder/partyfinder")}
	var err error
	if m.requests, err = m.meter.Float64Histogram(MetricRequestDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP requests, by function, route template, method and status class."),
		metric.WithExplicitBucketBoundaries(latencyBuckets...)); err != nil {
		return nil, err
	}
	if m.eventLag, err = m.meter.Float64Histogram(MetricEventLag, metric.WithUnit("s"),
		metric.WithDescription("Time from an event's occurrence (a Pub/Sub message's publication, a document's write) to its handling."),
		metric.WithExplicitBucketBoundaries(lagBuckets...)); err != nil {
		return nil, err
	}
	if m.handled, err = m.meter.Int64Counter(MetricEventsHandled, metric.WithUnit("{event}"),
		metric.WithDescription("Events handled by asynchronous handlers, by handler and outcome.")); err != nil {
		return nil, err
	}
	if m.redeliveries, err = m.meter.Int64Counter(MetricRedeliveries, metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries of a message that had been delivered before (Pub/Sub's delivery attempt above 1).")); err != nil {
		return nil, err
	}
	if m.importRows, err = m.meter.Int64Counter(MetricImportRows, metric.WithUnit("{row}"),
		metric.WithDescription("Rows of party imports, by outcome.")); err != nil {
		return nil, err
	}
	if m.caches, err = m.meter.Int64ObservableCounter(MetricCacheLookups, metric.WithUnit("{lookup}"),
		metric.WithDescription("Cache lookups by tier and result (hit or miss).")); err != nil {
		return nil, err
	}
	return m, nil
}

// Request records one answered HTTP request. route is its template ("" when
// no route matched: every such request shares one series, so junk paths
// cannot multiply them).
func (m *Metrics) Request(ctx context.Context, fn, route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	k := requestKey{fn: fn, route: route, method: knownMethod(method), class: status / 100}
	opt, ok := m.reqAttrs.Load(k)
	if !ok {
		opt, _ = m.reqAttrs.LoadOrStore(k, metric.WithAttributeSet(attribute.NewSet(
			attribute.String("faas.name", k.fn),
			attribute.String("http.route", k.route),
			attribute.String("http.request.method", k.method),
			attribute.String("http.response.status_class", strconv.Itoa(k.class)+"xx"),
		)))
	}
	m.requests.Record(ctx, took.Seconds(), opt.(metric.MeasurementOption))
}

// knownMethod keeps the method attribute to the methods the API serves:
// anything else is "_OTHER", as the semantic conventions say.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "_OTHER"
}

// CacheCounts is one cache tier's lookups since the process started.
type CacheCounts struct {
	Tier         string
	Hits, Misses uint64
}

// ObserveCaches reports the cache tiers' hits and misses at each
// collection, from counters their owner keeps (an atomic add on the hot
// path, nothing more). The hit ratio of a tier is hits / (hits + misses).
// Call the returned function when the caches are gone.
func (m *Metrics) ObserveCaches(counts func() []CacheCounts) (stop func() error, err error) {
	if m == nil {
		return func() error { return nil }, nil
	}
	reg, err := m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, c := range counts() {
			o.ObserveInt64(m.caches, int64(c.Hits), metric.WithAttributes(attribute.String("cache.tier", c.Tier), attribute.String("cache.result", "hit")))
			o.ObserveInt64(m.caches, int64(c.Misses), metric.WithAttributes(attribute.String("cache.tier", c.Tier), attribute.String("cache.result", "miss")))
		}
		return nil
	}, m.caches)
	if err != nil {
		return nil, err
	}
	return reg.Unregister, nil
}

// Event records one event handled by an asynchronous handler: lag is the
// time since the event occurred (negative values, from clock skew, count
// as 0), attempt Pub/Sub's delivery attempt (0 when unknown), err the
// handler's result.
func (m *Metrics) Event(ctx context.Context, handler string, lag time.Duration, attempt int, err error) {
	if m == nil {
		return
	}
	h := attribute.String("handler", handler)
	outcome := EventOK
	if err != nil {
		outcome = EventError
	}
	m.handled.Add(ctx, 1, metric.WithAttributes(h, attribute.String("outcome", outcome)))
	m.eventLag.Record(ctx, max(lag, 0).Seconds(), metric.WithAttributes(h))
	if attempt > 1 {
		m.redeliveries.Add(ctx, 1, metric.WithAttributes(h))
	}
}

// ImportRows records an import's rows by outcome (created, updated,
// unchanged, cancelled, rejected). A dry run is counted apart. The
// import's source is not an attribute: admins name it freely, and each
// name would be a series of its own.
func (m *Metrics) ImportRows(ctx context.Context, dryRun bool, byOutcome map[string]int) {
	if m == nil {
		return
	}
	for outcome, n := range byOutcome {
		if n == 0 {
			continue
		}
		m.importRows.Add(ctx, int64(n), metric.WithAttributes(attribute.String("outcome", outcome),
			attribute.Bool("dry_run", dryRun)))
	}
}
