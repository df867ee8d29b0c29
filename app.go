package partyfinder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partyfinder/partyfinder/triggers/ondecisionwritten"
	"github.com/partyfinder/partyfinder/triggers/resyncsheets"

	gps "cloud.google.com/go/pubsub/v2"
	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/fetch"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/telemetry"
	"github.com/partyfinder/partyfinder/triggers/aggregateanalytics"
	"github.com/partyfinder/partyfinder/triggers/invalidatecache"
	"github.com/partyfinder/partyfinder/triggers/onpartywritten"
	"go.opentelemetry.io/otel"
	"golang.org/x/time/rate"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/event"

	"github.com/partyfinder/partyfinder/functions/admin"
	analyticsfn "github.com/partyfinder/partyfinder/functions/analytics"
	"github.com/partyfinder/partyfinder/functions/calendar"
	"github.com/partyfinder/partyfinder/functions/conferences"
	"github.com/partyfinder/partyfinder/functions/health"
	"github.com/partyfinder/partyfinder/functions/me"
	"github.com/partyfinder/partyfinder/functions/openapi"
	"github.com/partyfinder/partyfinder/functions/parties"
	"github.com/partyfinder/partyfinder/functions/partydays"
	"github.com/partyfinder/partyfinder/functions/swipe"
	"github.com/partyfinder/partyfinder/functions/ugc"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/erasure"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/firebaseauth"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/personal"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// Store is what the application needs of a storage backend.
type Store interface {
	conference.Repository
	party.Repository
	party.Revisioner
	attendee.Repository
	analytics.Store
	audit.Repository
	Ping(ctx context.Context) error
	Close() error
}

// Function names, as registered with the Functions Framework and named in
// firebase.json's hosting rewrites.
const (
	FnParties     = "parties"
	FnConferences = "conferences"
	FnPartyDays   = "partyDays"
	FnCalendar    = "calendar"
	FnHealth      = "health"
	FnOpenAPI     = "openapi"
	FnSwipe       = "swipe"
	FnMe          = "me"
	FnAnalytics   = "analytics"
	FnAdmin       = "admin"
	FnUGC         = "ugc"
)

// sloOf says which service level objective a function's requests count
// against (docs/slo).
var sloOf = map[string]string{
	FnParties: telemetry.FeedSLO.Name, FnConferences: telemetry.FeedSLO.Name, FnPartyDays: telemetry.FeedSLO.Name,
	FnCalendar: telemetry.FeedSLO.Name, FnSwipe: telemetry.AttendeeSLO.Name, FnMe: telemetry.AttendeeSLO.Name,
}

// ImportMaxBody is the largest request body of the admin function, whose
// imports send files, and of a sheet it fetches: Cloud Run's own limit
// for an HTTP/1 request, so every file that can reach the function can
// be imported. A Gamescom week's export is 45 KB; 20,000 side events are
// about 10 MiB as CSV and 13 MiB as JSON (docs/PERFORMANCE.md), and
// parsing and importing them peaks at about 250 MiB.
const ImportMaxBody = 32 << 20

// ImportTimeout is the admin function's deadline per request, where
// others have 15 s: importing 20,000 rows takes 10 s on the Firestore
// emulator, more over the network. Cloud Run's request timeout (5
// minutes by default) is longer, so the import's own deadline answers.
const ImportTimeout = 4 * time.Minute

// Function is one deployable HTTP function: its name, where its resources
// live behind Firebase Hosting (a function called on its own URL sees paths
// relative to it; they are mounted here so both ways work), and how it is
// built from the parts it needs. Adding a function is one entry here and
// its rewrite in firebase.json.
type Function struct {
	Name  string
	Base  string
	build func(a *App) http.Handler
}

// Functions lists every HTTP function.
var Functions = []Function{
	{FnParties, "/api/parties", func(a *App) http.Handler {
		// The writes' parts are built on the first write: an instance that
		// only serves the feed builds the feed alone.
		h := &parties.Handler{Feed: a.feed(), Calendar: a.calendarOptions(), Organizers: organizersOnDemand{a}, Stored: a.Store,
			WriteAuth: a.writeAuth()}
		return h.Routes()
	}},
	{FnConferences, "/api/conferences", func(a *App) http.Handler {
		return (&conferences.Handler{Feed: a.feed(), Calendar: a.calendarOptions()}).Routes()
	}},
	{FnPartyDays, "/api/party-days", func(a *App) http.Handler {
		return (&partydays.Handler{Feed: a.feed()}).Routes()
	}},
	{FnCalendar, "/api/calendar", func(a *App) http.Handler {
		return (&calendar.Handler{Feed: a.feed(), Calendar: a.calendarOptions(), Personal: a.views()}).Routes()
	}},
	{FnHealth, "/api/health", func(a *App) http.Handler {
		return (&health.Handler{Version: a.Config.Version, Checks: map[string]health.Pinger{"store": a.Store}}).Routes()
	}},
	{FnOpenAPI, "/api/openapi.yaml", func(*App) http.Handler { return openapi.Routes() }},
	{FnSwipe, "/api/swipe", func(a *App) http.Handler {
		return a.signedIn((&swipe.Handler{Swipes: a.attendees()}).Routes())
	}},
	{FnMe, "/api/me", func(a *App) http.Handler {
		views := a.views()
		return a.signedIn((&me.Handler{Commands: a.attendees(), Store: a.Store, Views: views, Feed: a.feed(), History: views.History,
			PublicURL: a.Config.PublicURL}).Routes())
	}},
	{FnAnalytics, "/api/analytics", func(a *App) http.Handler {
		a.aggregator()
		h := &analyticsfn.Handler{Feed: a.feed(), Stats: a.Store, PublicStats: analyticsfn.CachedStats(a.Store, 5*time.Second), Events: a.reportEvents(),
			Limit: a.limitClients("analytics.events", analyticsfn.DefaultUserLimit, analyticsfn.DefaultClientLimit)}
		return a.identified(h.Routes())
	}},
	{FnUGC, "/api/ugc", func(a *App) http.Handler {
		return (&ugc.Handler{Feed: a.feed(), Organizers: organizersOnDemand{a}, WriteAuth: a.writeAuth()}).Routes()
	}},
	{FnAdmin, "/api/admin", func(a *App) http.Handler {
		// The write parts are built on the first write.
		h := &admin.Handler{Feed: a.feed(), Parties: a.Store, Conferences: conferencesOnDemand{a}, Audit: a.Store,
			Import: importerOnDemand{a}, Fetch: a.sheetFetcher(),
			SLO: func() any { return a.slo.Report(time.Now()) }}
		return a.signedIn(h.Routes())
	}},
}

// Trigger names, as registered with the Functions Framework.
const (
	TrAggregateAnalytics = "AggregateAnalytics"
	TrOnDecisionWritten  = "OnDecisionWritten"
	TrInvalidateCache    = "InvalidateCache"
	TrOnPartyWritten     = "OnPartyWritten"
	TrResyncSheets       = "ResyncSheets"
)

// CloudEventHandler is what a trigger function does with one CloudEvent.
type CloudEventHandler func(ctx context.Context, e cloudevent.Event) error

// Trigger is one deployable CloudEvent function (a Pub/Sub or Firestore
// trigger) and how it is built.
type Trigger struct {
	Name string
	// Documents are the Firestore document patterns a Firestore trigger
	// listens to (google.cloud.firestore.document.v1.written); none for a
	// Pub/Sub trigger.
	Documents []string
	// Scheduled marks a Pub/Sub trigger of the schedule topic
	// (Config.SyncTopic, which Cloud Scheduler publishes to) rather than of
	// the events topic.
	Scheduled bool
	build     func(a *App) CloudEventHandler
}

// Triggers lists every CloudEvent function.
var Triggers = []Trigger{
	{TrAggregateAnalytics, nil, false, func(a *App) CloudEventHandler {
		h := &aggregateanalytics.Handler{Analytics: &command.Analytics{Store: a.Store}, Decode: pubsub.DecodePushed}
		a.built = append(a.built, "analytics handler")
		return h.Handle
	}},
	{TrInvalidateCache, nil, false, func(a *App) CloudEventHandler {
		return a.invalidator().Handle
	}},
	{TrOnPartyWritten, []string{"parties/{partyId}"}, false, func(a *App) CloudEventHandler {
		h := &onpartywritten.Handler{Decode: decodeParty, Events: a.remoteEvents()}
		if r, ok := a.Store.(onpartywritten.Recorder); ok {
			h.Record = r
		}
		a.built = append(a.built, "party trigger")
		return h.Handle
	}},
	{TrResyncSheets, nil, true, func(a *App) CloudEventHandler {
		return a.resync().Handle
	}},
	{TrOnDecisionWritten, []string{"users/{uid}/swipes/{partyId}", "users/{uid}/saves/{partyId}"}, false, func(a *App) CloudEventHandler {
		h := &ondecisionwritten.Handler{Decode: decodeDecision, Parties: a.Store, Events: a.remoteEvents()}
		a.built = append(a.built, "decision trigger")
		return h.Handle
	}},
}

// resync is the ResyncSheets handler: the import use case fed by the
// guarded fetcher.
func (a *App) resync() *resyncsheets.Handler {
	if a.resyncer == nil {
		a.resyncer = &resyncsheets.Handler{Conferences: a.Store, Fetch: a.sheetFetcher(), Import: a.importer(), Decode: pubsub.MessageData}
		a.built = append(a.built, "sheet re-sync")
	}
	return a.resyncer
}

// SyncSheets re-syncs every conference's sheet now and then every
// Config.SyncInterval until ctx ends: on one machine, the stand-in for the
// Cloud Scheduler job that calls ResyncSheets. Off when the interval is 0.
func (a *App) SyncSheets(ctx context.Context) {
	if a.Config.SyncInterval <= 0 {
		return
	}
	a.mu.Lock()
	h := a.resync()
	a.mu.Unlock()
	go h.Every(ctx, a.Config.SyncInterval)
}

// decodeDecision decodes a Firestore swipe or save document event for
// OnDecisionWritten.
func decodeDecision(data []byte) (ondecisionwritten.Change, error) {
	c, err := firestore.DecodeDecisionChange(data)
	return ondecisionwritten.Change{UID: c.UID, PartyID: c.PartyID, Swipe: c.Swipe, Save: c.Save, Trace: c.Trace}, err
}

// decodeParty decodes a Firestore party document event for OnPartyWritten.
func decodeParty(data []byte) (onpartywritten.Change, error) {
	c, err := firestore.DecodePartyChange(data)
	return onpartywritten.Change{PartyID: c.PartyID, Before: c.Before, After: c.After}, err
}

// TriggerHandler returns the named trigger's handler, building it on
// first use; nil for an unknown name.
func (a *App) TriggerHandler(name string) CloudEventHandler {
	i := slices.IndexFunc(Triggers, func(t Trigger) bool { return t.Name == name })
	if i < 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.triggers == nil {
		a.triggers = map[string]CloudEventHandler{}
	}
	h, ok := a.triggers[name]
	if !ok {
		h = a.observeTrigger(name, Triggers[i].build(a))
		a.triggers[name] = h
	}
	return h
}

// observeTrigger counts each event a trigger handles, how long after it
// occurred (a Pub/Sub message's publication, else the CloudEvent's time:
// a document's write), and whether Pub/Sub had delivered it before.
func (a *App) observeTrigger(name string, h CloudEventHandler) CloudEventHandler {
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

// FunctionNames lists every HTTP function's name.
func FunctionNames() []string {
	names := make([]string, len(Functions))
	for i, f := range Functions {
		names[i] = f.Name
	}
	return names
}

func function(name string) (Function, bool) {
	i := slices.IndexFunc(Functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return Functions[i], true
}

// App is the wiring: the opened store, the in-process event bus, and the
// parts the functions share, each built the first time a function needs
// it, so an instance deployed for one function builds only what that
// function uses (a parties instance opens no attendee caches).
type App struct {
	Config Config
	Store  Store
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
func OpenStore(ctx context.Context, c Config) (Store, error) {
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

// New returns the application over an opened store. It builds no function
// yet: Handler builds each on first use.
func New(c Config, store Store, auth Auth) *App {
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
	return &App{
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
func (a *App) Handler(name string) http.Handler {
	a.mu.Lock()
	defer a.mu.Unlock()
	if h, ok := a.handlers[name]; ok {
		return h
	}
	f, ok := function(name)
	if !ok {
		return nil
	}
	h := a.Chain(name, f.build(a))
	a.handlers[name] = h
	return h
}

// Chain wraps h in the middleware every function gets, so a handler the
// local runner adds (its 404 for unrouted paths) behaves like the rest.
func (a *App) Chain(name string, h http.Handler) http.Handler {
	o := a.edge
	o.Name = name
	slo, counted := sloOf[name]
	o.Observe = func(r *http.Request, status int, took time.Duration) {
		if counted {
			a.slo.Record(slo, status, took, time.Now())
		}
		a.metrics.Request(r.Context(), name, httpapi.RouteTemplate(r), r.Method, status, took)
	}
	if name == FnAdmin {
		o.MaxBody, o.Timeout = ImportMaxBody, ImportTimeout // imports send files, of any number of rows
	}
	return httpapi.Chain(h, o)
}

// Built lists the shared parts built so far, in the order they were.
func (a *App) Built() []string { return slices.Clone(a.built) }

// Feed returns the party feed cache, building it on first use.
func (a *App) Feed() *feed.Cache {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.feed()
}

// popularity is the saves the feed shows, by the analytics' rule.
func (a *App) popularity(ctx context.Context, conferenceID string) (feed.Popularity, error) {
	stats, err := a.Store.ConferenceStats(ctx, conferenceID)
	if err != nil {
		return nil, err
	}
	return analytics.Popularity(stats), nil
}

// The part builders below run with a.mu held.

func (a *App) feed() *feed.Cache {
	if a.feedCache == nil {
		a.feedCache = feed.NewCache(a.Store, feed.Options{Refresh: a.Config.FeedRefresh, DefaultConference: a.Config.DefaultConference, Shared: a.sharedTier(),
			Calendar: a.calendarOptions(), Popularity: a.popularity, PopularityRefresh: a.Config.PopularityRefresh})
		fc := a.feedCache
		stop, err := a.metrics.ObserveCaches(func() []telemetry.CacheCounts {
			var out []telemetry.CacheCounts
			for _, t := range fc.Stats() {
				out = append(out, telemetry.CacheCounts{Tier: t.Tier, Hits: t.Hits, Misses: t.Misses})
			}
			return out
		})
		if err != nil {
			slog.Error("cache metrics are off", "error", err)
		} else {
			a.stopObserving = stop
		}
		a.Events.Subscribe(a.feedCache.Apply)
		a.localFeed.Store(a.feedCache)
		a.built = append(a.built, "feed")
		if a.tier != nil {
			// Instances that check the shared tier learn of a change only
			// when the revision there is raised: this process must relay
			// the outbox's changes (a command-line import's too) to it.
			a.aggregator()
		}
	}
	return a.feedCache
}

// sharedTier is the cache tier all instances share: Redis when
// configured, else the store when it can hold it (Firestore), else none.
// A Redis address that cannot be used is logged, and the feed works from
// the store alone.
func (a *App) sharedTier() feed.Shared {
	if a.tierBuilt {
		return a.tier
	}
	a.tierBuilt = true
	if a.Config.RedisAddr != "" {
		t, err := openRedis(a.Config)
		if err != nil {
			slog.Error("redis: the shared cache tier is off", "addr", a.Config.RedisAddr, "error", err)
			return nil
		}
		a.tier, a.redis = t, t
		a.built = append(a.built, "redis tier")
		return a.tier
	}
	if t, ok := a.Store.(feed.Shared); ok {
		a.tier = t
	}
	return a.tier
}

// invalidator raises the shared revision of the conferences whose parties
// changed and prebuilds their snapshots: the InvalidateCache handler.
func (a *App) invalidator() *invalidatecache.Handler {
	if a.invalidate == nil {
		a.invalidate = &invalidatecache.Handler{Decode: pubsub.DecodePushed}
		if t := a.sharedTier(); t != nil {
			a.invalidate.Tier = t
			a.invalidate.Prebuild = feed.NewCache(a.Store, feed.Options{Shared: t})
		}
		a.built = append(a.built, "cache invalidator")
	}
	return a.invalidate
}

func (a *App) views() *personal.Views {
	if a.viewCache == nil {
		a.viewCache = personal.NewViews(a.Store, a.feed())
		a.Events.Subscribe(a.viewCache.Apply)
		a.built = append(a.built, "personal views")
	}
	return a.viewCache
}

func (a *App) organizers() *command.Organizers {
	if a.organizerUC == nil {
		a.organizerUC = &command.Organizers{Store: a.Store, Events: a.events()}
		a.built = append(a.built, "organizer commands")
		a.aggregator()
	}
	return a.organizerUC
}

// conferences are the admins' conference use cases.
func (a *App) conferences() *command.Conferences {
	if a.confUC == nil {
		a.confUC = &command.Conferences{Store: a.Store, Events: a.events()}
		a.built = append(a.built, "conference commands")
	}
	return a.confUC
}

// importer is the import use case of the HTTP import and the scheduled
// re-sync; its events go where every write's go.
func (a *App) importer() *importer.Importer {
	if a.importUC == nil {
		a.importUC = &importer.Importer{Store: a.Store, Events: a.events(), Done: func(ctx context.Context, r importer.Report) {
			a.metrics.ImportRows(ctx, r.DryRun, map[string]int{"created": r.Created, "updated": r.Updated,
				"unchanged": r.Unchanged, "cancelled": r.Cancelled, "rejected": r.Rejected})
		}}
		a.built = append(a.built, "importer")
		a.aggregator()
	}
	return a.importUC
}

// sheetFetcher downloads the sheets admins name by URL, refusing every
// address that is not a public host (shared/fetch).
func (a *App) sheetFetcher() func(ctx context.Context, url string) ([]byte, error) {
	if a.fetcher == nil {
		o := a.FetchOptions
		if o.MaxBytes == 0 {
			o.MaxBytes = ImportMaxBody // a published sheet may be as large as an uploaded one
		}
		a.fetcher = fetch.New(o)
	}
	c := a.fetcher
	return func(ctx context.Context, url string) ([]byte, error) {
		res, err := c.Get(ctx, url)
		return res.Body, err
	}
}

// rateLimiter is the abuse limits' counter: in Redis when configured,
// shared by every instance, falling back to this process's own counts
// (never to an error) while Redis is away; else per process.
func (a *App) rateLimiter() httpapi.Limiter {
	if a.limiter != nil {
		return a.limiter
	}
	local := httpapi.NewLocal()
	a.limiter = local
	if a.Config.RedisAddr != "" {
		l, err := redis.OpenLimiter(a.Config.RedisAddr, redis.LimiterOptions{Prefix: a.Config.RedisPrefix})
		if err != nil {
			slog.Error("redis: the shared rate limits are off", "addr", a.Config.RedisAddr, "error", err)
			return a.limiter
		}
		a.limiter, a.limits = httpapi.NewFallback(l, local), l
		a.built = append(a.built, "redis rate limits")
	}
	return a.limiter
}

// writeAuth is the middleware of party writes: signed in, and limited
// per user, every attempt counting, valid or not: WriteBurst writes at
// once, then one every 3 s (across instances with Redis; one count for
// every write endpoint). Its parts are built on the first write, so an
// instance that only serves the feed builds the feed alone.
func (a *App) writeAuth() func(http.Handler) http.Handler {
	return a.onDemand(func() func(http.Handler) http.Handler {
		limiter := a.rateLimiter()
		return func(next http.Handler) http.Handler {
			burst := max(a.Config.WriteBurst, 1)
			return a.signedIn(httpapi.RateLimitWith(limiter, httpapi.Policy{Name: "party.writes",
				User: httpapi.Limit{Rate: rate.Every(3 * time.Second), Burst: burst}}, next))
		}
	})
}

// LimitClients limits requests per client, the sign-in-free POSTs' way:
// l for each client address (ForwardedFor with Config.ProxyHops, so
// every instance sees the caller, not the platform's proxy) and for each
// signed-in user, counted across instances with Redis.
func (a *App) LimitClients(name string, l httpapi.Limit, next http.Handler) http.Handler {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limitClients(name, l, l)(next)
}

// limitClients is LimitClients with a limit for signed-in users and one
// for each client address; the caller holds a.mu.
func (a *App) limitClients(name string, user, client httpapi.Limit) func(http.Handler) http.Handler {
	limiter := a.rateLimiter()
	return func(next http.Handler) http.Handler {
		return httpapi.RateLimitWith(limiter, httpapi.Policy{Name: name, User: user, Anonymous: client,
			ClientAddr: httpapi.ForwardedFor(a.Config.ProxyHops)}, next)
	}
}

// organizersOnDemand builds the organizer use cases on their first use.
type organizersOnDemand struct{ a *App }

func (o organizersOnDemand) uc() *command.Organizers {
	o.a.mu.Lock()
	defer o.a.mu.Unlock()
	return o.a.organizers()
}

func (o organizersOnDemand) Submit(ctx context.Context, who identity.Identity, p party.Party, key string, force bool) (party.Party, bool, []event.Event, error) {
	return o.uc().Submit(ctx, who, p, key, force)
}

func (o organizersOnDemand) Edit(ctx context.Context, who identity.Identity, id string, version int64, force bool, edit func(*party.Party) error) (party.Party, []event.Event, error) {
	return o.uc().Edit(ctx, who, id, version, force, edit)
}

func (o organizersOnDemand) Cancel(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
	return o.uc().Cancel(ctx, who, id, version, reason)
}

func (o organizersOnDemand) Publish(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error) {
	return o.uc().Publish(ctx, who, id, version)
}

func (o organizersOnDemand) Remove(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error) {
	return o.uc().Remove(ctx, who, id, version)
}

func (o organizersOnDemand) Reject(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
	return o.uc().Reject(ctx, who, id, version, reason)
}

// conferencesOnDemand builds the conference use cases on their first use.
type conferencesOnDemand struct{ a *App }

func (o conferencesOnDemand) uc() *command.Conferences {
	o.a.mu.Lock()
	defer o.a.mu.Unlock()
	return o.a.conferences()
}

func (o conferencesOnDemand) Create(ctx context.Context, who identity.Identity, c conference.Conference, retry bool) (conference.Conference, bool, error) {
	return o.uc().Create(ctx, who, c, retry)
}

func (o conferencesOnDemand) Update(ctx context.Context, who identity.Identity, id string, fn func(*conference.Conference) error) (conference.Conference, error) {
	return o.uc().Update(ctx, who, id, fn)
}

// importerOnDemand builds the import use case on its first use.
type importerOnDemand struct{ a *App }

func (o importerOnDemand) Run(ctx context.Context, req importer.Request) (importer.Report, error) {
	o.a.mu.Lock()
	im := o.a.importer()
	o.a.mu.Unlock()
	return im.Run(ctx, req)
}

// onDemand returns middleware that is built (by build, under the lock) on
// the first request through it.
func (a *App) onDemand(build func() func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var (
			once sync.Once
			h    http.Handler
		)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() {
				a.mu.Lock()
				defer a.mu.Unlock()
				h = build()(next)
			})
			h.ServeHTTP(w, r)
		})
	}
}

func (a *App) attendees() *command.Attendees {
	if a.attendeeUC == nil {
		a.attendeeUC = &command.Attendees{Parties: a.Store, Store: a.Store, Events: a.events(), CalendarSecret: a.Auth.CalendarSecret}
		a.built = append(a.built, "attendee commands")
		a.aggregator()
	}
	return a.attendeeUC
}

// events is where use cases publish: this process's bus, and with
// PARTYFINDER_EVENTS=pubsub the events topic as well, for the handlers
// that run elsewhere. A Pub/Sub client that cannot be built is logged and
// the events stay in this process (the write itself must not fail).
func (a *App) events() event.Publisher {
	if a.publisher != nil {
		return a.publisher
	}
	a.publisher = a.Events
	if a.Config.Events == EventsPubSub {
		c, err := gps.NewClient(context.Background(), a.Config.ProjectID)
		if err != nil {
			slog.Error("pubsub client: domain events stay in this process", "error", err)
			return a.publisher
		}
		a.pubsub, a.remote = c, pubsub.NewPublisher(c, a.Config.EventsTopic)
		a.built = append(a.built, "pubsub publisher")
		if ob, ok := a.Store.(outbox); ok {
			// The events are in the outbox with their change: the relay
			// publishes them from there, at least once, also when the
			// process dies between the write and the publish.
			remote := a.remote
			a.relay = inproc.NewRelay(ob, func(ctx context.Context, es []event.Event) error { return remote.Publish(ctx, es...) })
			go a.relay.Run()
			a.Events.Subscribe(func(context.Context, event.Event) { a.relay.Kick() })
			a.built = append(a.built, "outbox relay")
			return a.publisher
		}
		var remote event.Publisher = a.remote
		if a.Config.Store == StoreFirestore {
			// OnDecisionWritten and OnPartyWritten publish what
			// Firestore's documents say.
			remote = event.Filter{Publisher: a.remote, Keep: notFromDocuments}
		}
		a.publisher = event.Fanout{a.Events, remote}
	}
	return a.publisher
}

// notFromDocuments keeps the events no document trigger derives: on
// Firestore, OnDecisionWritten and OnPartyWritten publish the events of
// every swipe, save and party document write (also those made straight to
// Firestore), with ids from their CloudEvents, so the API's own must stay
// in this process or they would count twice. An import's summary comes
// from no document.
func notFromDocuments(e event.Event) bool {
	switch e.(type) {
	case attendee.SwipeRecorded, attendee.SwipeRemoved, attendee.SaveAdded, attendee.SaveRemoved,
		party.CreatedEvent, party.UpdatedEvent, party.PublishedEvent, party.CancelledEvent, party.RemovedEvent:
		return false
	}
	return true
}

// ImportEvents is where an import run outside a server (the command
// line) publishes its events: beyond this process as configured, and
// straight to the shared cache tier, so every instance sees the import at
// its next check even when none relays the events.
func (a *App) ImportEvents() event.Publisher {
	a.mu.Lock()
	defer a.mu.Unlock()
	inv := a.invalidator()
	if a.Config.Events == EventsPubSub {
		// The outbox's relay publishes the import's events before Close
		// returns. In process, the servers' relays deliver them (a server
		// also drops its own cached snapshot then).
		a.events()
	}
	return event.Fanout{a.events(), publisherFunc(func(ctx context.Context, es ...event.Event) error {
		return inv.Apply(ctx, es)
	})}
}

// remoteEvents is where triggers publish: the events topic, or this
// process's bus on one machine.
func (a *App) remoteEvents() event.Publisher {
	a.events()
	if a.remote != nil {
		return a.remote
	}
	return a.Events
}

// aggregator counts the analytics of the events published in this
// process, on a queue of its own so no request waits for the counting.
// With Pub/Sub the AggregateAnalytics function counts them instead.
//
// On a store with an outbox (the embedded SQLite default) the events come
// from the outbox, written in the same transaction as their change, so
// none is lost if the process dies before counting them; a publish here
// only kicks the relay. Elsewhere they come from an in-memory queue.
func (a *App) aggregator() {
	if a.Config.Events == EventsPubSub {
		a.events() // on a store with an outbox, its relay publishes to the topic
		return
	}
	if a.analytics != nil || a.relay != nil {
		return
	}
	uc := &command.Analytics{Store: a.Store}
	var inv *invalidatecache.Handler
	if a.sharedTier() != nil {
		inv = a.invalidator()
	}
	deliver := func(ctx context.Context, es []event.Event) error {
		if _, err := uc.Aggregate(ctx, es); err != nil {
			return err
		}
		// What another process wrote (a command-line import next to the
		// server) reaches this process's feed here.
		if fc := a.localFeed.Load(); fc != nil {
			for _, e := range es {
				fc.Apply(ctx, e)
			}
		}
		if inv == nil {
			return nil
		}
		if err := inv.Apply(ctx, es); err != nil {
			// The shared tier is down: readers check the store meanwhile.
			// The raise is retried off the relay, so counting goes on.
			slog.WarnContext(ctx, "cache invalidation deferred until the shared tier answers", "error", err)
			a.deferred.Add(es)
		}
		return nil
	}
	a.built = append(a.built, "analytics aggregator")
	if inv != nil {
		a.deferred = inproc.NewRetrier(func(ctx context.Context, es []event.Event) error { return inv.Apply(ctx, es) })
		go a.deferred.Run()
	}
	if ob, ok := a.Store.(outbox); ok {
		a.relay = inproc.NewRelay(ob, deliver)
		go a.relay.Run()
		a.Events.Subscribe(func(context.Context, event.Event) { a.relay.Kick() })
		return
	}
	a.analytics = inproc.NewQueue(10_000, deliver)
	go a.analytics.Run()
	a.Events.Subscribe(a.analytics.Handler(func(e event.Event) bool { return command.Counts(e) || party.ChangesFeed(e) }))
}

// outbox is a store that keeps the events of its changes until they are
// delivered.
type outbox interface {
	inproc.Outbox
	Append(ctx context.Context, events ...event.Event) error
}

// reportEvents is where client interactions go: with an outbox, into it
// first (no stored change carries them), then to this process's bus.
func (a *App) reportEvents() event.Publisher {
	ob, ok := a.Store.(outbox)
	if !ok || a.relay == nil {
		return a.events()
	}
	appendTo := publisherFunc(ob.Append)
	return event.Fanout{event.Filter{Publisher: appendTo, Keep: isInteraction}, a.events()}
}

func isInteraction(e event.Event) bool {
	_, ok := e.(analytics.Interaction)
	return ok
}

// publisherFunc adapts a function to event.Publisher.
type publisherFunc func(ctx context.Context, events ...event.Event) error

func (f publisherFunc) Publish(ctx context.Context, events ...event.Event) error {
	return f(ctx, events...)
}

func (a *App) deferredRetrier() *inproc.Retrier {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.deferred
}

// FlushAnalytics waits until the analytics of every event published so
// far in this process are counted.
func (a *App) FlushAnalytics() {
	a.mu.Lock()
	q, r := a.analytics, a.relay
	a.mu.Unlock()
	if q != nil {
		q.Flush()
	}
	if r != nil {
		r.Flush()
	}
}

// signedIn authenticates every request before it is routed, and refuses
// tokens issued before the user's erasure.
func (a *App) signedIn(h http.Handler) http.Handler {
	return httpapi.Authenticate(a.Auth.Verifier, a.erasureGate().Wrap(h))
}

// identified lets anonymous requests through too; a token that is sent
// must verify and be newer than its user's erasure.
func (a *App) identified(h http.Handler) http.Handler {
	return httpapi.Identify(a.Auth.Verifier, a.erasureGate().Wrap(h))
}

func (a *App) erasureGate() *erasure.Gate {
	if a.gate == nil {
		a.gate = erasure.NewGate(a.Store)
		a.Events.Subscribe(a.gate.Apply)
		a.built = append(a.built, "erasure gate")
	}
	return a.gate
}

func (a *App) calendarOptions() feed.CalendarOptions {
	cal := feed.CalendarOptions{ProdID: "-//Partyfinder//Party feed//EN"}
	if a.Config.PublicURL != "" {
		cal.BaseURL = a.Config.PublicURL + "/parties"
	}
	return cal
}

// Close counts what is queued, sends what is buffered, then releases the
// store.
func (a *App) Close() error {
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

// Lazy builds the App on first use, from the environment, so that a cold
// start of one function opens only what it needs and a misconfiguration is
// a clear 503 with a logged reason rather than a crash loop. A build that
// failed is tried again on a request at least RetryBuild after the
// failure: a store that was briefly unreachable at the first request must
// not leave the instance answering 503 until it is recycled.
type Lazy struct {
	app      atomic.Pointer[App] // set once built: the request path reads it without a lock
	mu       sync.Mutex          // one build at a time
	err      error               // the last failed build's, until RetryBuild has passed
	failedAt time.Time
	Getenv   func(string) string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// RetryBuild is how long a failed build's error is answered before the
// next request tries again.
const RetryBuild = 5 * time.Second

// get returns the built App, building it if no build succeeded yet and
// the last failure is RetryBuild old.
func (l *Lazy) get(ctx context.Context) (*App, error) {
	if a := l.app.Load(); a != nil {
		return a, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.app.Load(); a != nil {
		return a, nil
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	if l.err != nil && now().Sub(l.failedAt) < RetryBuild {
		return nil, l.err
	}
	a, err := l.build(ctx)
	if err != nil {
		l.err, l.failedAt = err, now()
		return nil, err
	}
	l.err = nil
	l.app.Store(a)
	return a, nil
}

// Handler returns a handler for the named function that builds the App on
// its first request.
func (l *Lazy) Handler(name string) http.HandlerFunc {
	f, known := function(name)
	var (
		built sync.Once
		h     http.Handler // kept here: no lock on the request path
	)
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := l.get(r.Context())
		if err != nil {
			httpapi.LogError(r, "startup failed", err)
			httpapi.Error(w, r, &apperr.Error{Kind: apperr.Unavailable, Message: "the service is not configured correctly"})
			return
		}
		if !known {
			httpapi.Error(w, r, errors.New("unknown function "+name))
			return
		}
		built.Do(func() { h = a.Handler(name) })
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			r.URL.Path = strings.TrimSuffix(f.Base+r.URL.Path, "/")
			r.URL.RawPath = ""
		}
		h.ServeHTTP(w, r)
	}
}

// CloudEvent returns a CloudEvent function for the named trigger that
// builds the App on its first event. A misconfiguration is returned as an
// error, so Pub/Sub keeps the event and retries it.
func (l *Lazy) CloudEvent(name string) CloudEventHandler {
	var (
		built sync.Once
		h     CloudEventHandler
	)
	return func(ctx context.Context, e cloudevent.Event) error {
		a, err := l.get(ctx)
		if err != nil {
			slog.ErrorContext(ctx, "startup failed", "error", err)
			return fmt.Errorf("%s: the service is not configured correctly: %w", name, err)
		}
		built.Do(func() { h = a.TriggerHandler(name) })
		if h == nil {
			return fmt.Errorf("unknown trigger %s", name)
		}
		return h(ctx, e)
	}
}

func (l *Lazy) build(ctx context.Context) (*App, error) {
	c, err := ConfigFromEnv(l.Getenv)
	if err != nil {
		return nil, err
	}
	shutdown, err := Setup(ctx, c)
	if err != nil {
		return nil, err
	}
	// The store outlives the request that opened it.
	store, err := OpenStore(context.WithoutCancel(ctx), c)
	if err != nil {
		// The next try sets telemetry up again: this one's exporters stop.
		_ = shutdown(context.WithoutCancel(ctx))
		return nil, err
	}
	flushOnTerm(shutdown)
	return New(c, store, Auth{Verifier: firebaseauth.New(c.ProjectID), CalendarSecret: c.CalendarSecret}), nil
}
