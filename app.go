package partyfinder

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	gps "cloud.google.com/go/pubsub/v2"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/erasure"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/fetch"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/personal"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/sqlite"
	"github.com/partyfinder/partyfinder/shared/telemetry"
	"github.com/partyfinder/partyfinder/triggers/invalidatecache"
	"github.com/partyfinder/partyfinder/triggers/resyncsheets"
	"go.opentelemetry.io/otel"
)

// Storage is what the application needs of a storage backend (Config.Store
// names which one; the wiring holds the opened one as Store).
type Storage interface {
	conference.Repository
	party.Repository
	party.Revisioner
	attendee.Repository
	analytics.Store
	audit.Repository
	Ping(ctx context.Context) error
	Close() error
}

// TriggerHandler returns the named trigger's handler, building it on
// first use; nil for an unknown name.
func (a *app) triggerHandler(name string) CloudEventHandler {
	t, ok := trigger(name)
	if !ok {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.triggers == nil {
		a.triggers = map[string]CloudEventHandler{}
	}
	h, ok := a.triggers[name]
	if !ok {
		h = a.observeTrigger(name, t.build(a))
		a.triggers[name] = h
	}
	return h
}

// observeTrigger counts each event a trigger handles, how long after it
// occurred (a Pub/Sub message's publication, else the CloudEvent's time:
// a document's write), and whether Pub/Sub had delivered it before.
func (a *app) observeTrigger(name string, h CloudEventHandler) CloudEventHandler {
	return func(ctx context.Context, e cloudevent.Event) error {
		err := h(ctx, e)
		occurred, attempt := pubsub.Delivery(e.Data())
		if occurred.IsZero() {
			occurred = e.Time()
		}
		var lag time.Duration
		if !occurred.IsZero() {
			lag = time.Since(occurred)
		}
		a.metrics.Event(ctx, name, lag, attempt, err)
		return err
	}
}

// app is the wiring: the opened store, the in-process event bus, and the
// parts the functions share, each built the first time a function needs
// it, so an instance deployed for one function builds only what that
// function uses (a parties instance opens no attendee caches).
//
// It has no exported methods, and must keep none: the binary holds
// reflection's method lookups (the validator's and text/template's, which
// gRPC's tracing links), and then the linker keeps every exported method
// of every type an interface or generic dictionary mentions, app and the
// parts its fields point to among them. A function built alone would
// carry every other function's parts. What only the whole process needs
// is on App (process.go).
type app struct {
	Config Config
	Store  Storage
	Auth   Auth
	// Events carries the domain events of writes made in this process to
	// the caches that must see them at once (read-your-writes).
	Events *inproc.Bus
	// FetchOptions configure the sheet fetcher; the zero value is the
	// production setting (tests point it at a local server).
	FetchOptions fetch.Options

	edge    httpapi.Options
	slo     *telemetry.SLOTracker // this process's requests, per objective
	metrics *telemetry.Metrics    // nil records nothing
	// stopObserving ends the cache metrics' callback, at Close.
	stopObserving func() error
	mu            sync.Mutex
	handlers      map[string]http.Handler
	triggers      map[string]CloudEventHandler
	built         []string // the shared parts built, in order

	feedCache   *feed.Cache
	viewCache   *personal.Views
	gate        *erasure.Gate
	attendeeUC  *command.Attendees
	organizerUC *command.Organizers
	confUC      *command.Conferences
	importUC    *importer.Importer
	fetcher     *fetch.Client
	resyncer    *resyncsheets.Handler
	analytics   *inproc.Queue
	relay       *inproc.Relay
	publisher   event.Publisher
	pubsub      *gps.Client
	remote      *pubsub.Publisher
	localFeed   atomic.Pointer[feed.Cache] // feedCache, for the relay's goroutine
	tier        feed.Shared                // the shared cache tier; nil when there is none
	tierBuilt   bool
	redis       io.Closer
	invalidate  *invalidatecache.Handler
	deferred    *inproc.Retrier // invalidations waiting for the shared tier
	limiter     httpapi.Limiter
	limits      io.Closer // the Redis rate limiter, when there is one
}

// OpenStore opens the configured store.
func OpenStore(ctx context.Context, c Config) (Storage, error) {
	switch c.Store {
	case StoreSQLite:
		s, err := sqlite.Open(c.DBPath)
		if err != nil {
			return nil, fmt.Errorf("open sqlite store %s: %w", c.DBPath, err)
		}
		return s, nil
	case StoreFirestore:
		client, err := firestore.NewClient(ctx, c.ProjectID)
		if err != nil {
			return nil, fmt.Errorf("connect to firestore (project %s): %w", c.ProjectID, err)
		}
		return firestore.New(client), nil
	}
	return nil, fmt.Errorf("unknown store %q", c.Store)
}

// Auth is how the functions that act for a user learn who that is.
type Auth struct {
	Verifier       httpapi.Verifier
	CalendarSecret []byte // derives personal calendar tokens; nil disables them
}

// newApp returns the wiring over an opened store. It builds no function
// yet: handler builds each on first use.
func newApp(c Config, store Storage, auth Auth) *app {
	origins := c.CORSOrigins
	if c.Local {
		origins = append(origins, "http://localhost:*", "http://127.0.0.1:*", "http://localhost", "http://127.0.0.1")
	}
	// Instruments made before Setup installs the meter provider forward
	// to it once it does; with no provider they record nothing.
	metrics, err := telemetry.NewMetrics(otel.GetMeterProvider())
	if err != nil {
		slog.Error("metrics are off", "error", err)
	}
	return &app{
		Config: c, Store: store, Auth: auth, Events: &inproc.Bus{},
		handlers: map[string]http.Handler{},
		slo:      telemetry.NewSLOTracker(telemetry.FeedSLO, telemetry.AttendeeSLO),
		metrics:  metrics,
		edge: httpapi.Options{
			CORS:    httpapi.NewCORS(origins),
			Tracing: c.TraceExporter != "" && c.TraceExporter != "none",
			HSTS:    !c.Local,
		},
	}
}

// Handler returns the named function's handler with its middleware,
// building it on first use; nil for an unknown name.
func (a *app) handler(name string) http.Handler {
	a.mu.Lock()
	defer a.mu.Unlock()
	if h, ok := a.handlers[name]; ok {
		return h
	}
	f, ok := function(name)
	if !ok {
		return nil
	}
	h := a.chain(name, f.build(a))
	a.handlers[name] = h
	return h
}

// Chain wraps h in the middleware every function gets, so a handler the
// local runner adds (its 404 for unrouted paths) behaves like the rest.
func (a *app) chain(name string, h http.Handler) http.Handler {
	o := a.edge
	o.Name = name
	f, _ := function(name) // the runner's own handlers are no function
	o.Observe = func(r *http.Request, status int, took time.Duration) {
		if f.SLO != "" {
			a.slo.Record(f.SLO, status, took, time.Now())
		}
		a.metrics.Request(r.Context(), name, httpapi.RouteTemplate(r), r.Method, status, took)
	}
	if f.MaxBody > 0 {
		o.MaxBody = f.MaxBody
	}
	if f.Timeout > 0 {
		o.Timeout = f.Timeout
	}
	return httpapi.Chain(h, o)
}

// builtPart records that the instance built a shared part: a debug log
// says what a cold start opened (an instance should open only what its
// function uses), and Built lists them for the tests that pin it.
func (a *app) builtPart(name string) {
	a.built = append(a.built, name)
	slog.Debug("built a shared part", "part", name)
}

// popularity is the saves the feed shows, by the analytics' rule.
func (a *app) popularity(ctx context.Context, conferenceID string) (feed.Popularity, error) {
	stats, err := a.Store.ConferenceStats(ctx, conferenceID)
	if err != nil {
		return nil, err
	}
	return analytics.Popularity(stats), nil
}

// Close counts what is queued, sends what is buffered, then releases the
// store.
func (a *app) shutdown() error {
	a.mu.Lock()
	q, r, remote, client, stopObserving := a.analytics, a.relay, a.remote, a.pubsub, a.stopObserving
	a.mu.Unlock()
	if stopObserving != nil {
		_ = stopObserving()
	}
	if q != nil {
		q.Close()
	}
	if r != nil {
		r.Close()
	}
	if remote != nil {
		remote.Stop()
		client.Close()
	}
	if d := a.deferredRetrier(); d != nil {
		d.Close()
	}
	if a.redis != nil {
		a.redis.Close()
	}
	if a.limits != nil {
		a.limits.Close()
	}
	return a.Store.Close()
}
