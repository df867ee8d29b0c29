package partyfinder

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	gps "cloud.google.com/go/pubsub/v2"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/erasure"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/fetch"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/inproc"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/personal"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/redis"
	"github.com/partyfinder/partyfinder/shared/telemetry"
	"github.com/partyfinder/partyfinder/triggers/invalidatecache"
	"github.com/partyfinder/partyfinder/triggers/resyncsheets"
	"golang.org/x/time/rate"
)

// The parts functions share, each built the first time a function
// needs it. The builders run with App.mu held.

// resync is the ResyncSheets handler: the import use case fed by the
// guarded fetcher.
func (a *app) resync() *resyncsheets.Handler {
	if a.resyncer == nil {
		a.resyncer = &resyncsheets.Handler{Conferences: a.Store, Fetch: a.sheetFetcher(), Import: a.importer(), Decode: pubsub.MessageData}
		a.builtPart("sheet re-sync")
	}
	return a.resyncer
}

func (a *app) feed() *feed.Cache {
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
		a.builtPart("feed")
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
func (a *app) sharedTier() feed.Shared {
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
		a.builtPart("redis tier")
		return a.tier
	}
	if t, ok := a.Store.(feed.Shared); ok {
		a.tier = t
	}
	return a.tier
}

// invalidator raises the shared revision of the conferences whose parties
// changed and prebuilds their snapshots: the InvalidateCache handler.
func (a *app) invalidator() *invalidatecache.Handler {
	if a.invalidate == nil {
		a.invalidate = &invalidatecache.Handler{Decode: pubsub.DecodePushed}
		if t := a.sharedTier(); t != nil {
			a.invalidate.Tier = t
			a.invalidate.Prebuild = feed.NewCache(a.Store, feed.Options{Shared: t})
		}
		a.builtPart("cache invalidator")
	}
	return a.invalidate
}

func (a *app) views() *personal.Views {
	if a.viewCache == nil {
		a.viewCache = personal.NewViews(a.Store, a.feed())
		a.Events.Subscribe(a.viewCache.Apply)
		a.builtPart("personal views")
	}
	return a.viewCache
}

func (a *app) organizers() *command.Organizers {
	if a.organizerUC == nil {
		a.organizerUC = &command.Organizers{Store: a.Store, Events: a.events()}
		a.builtPart("organizer commands")
		a.aggregator()
	}
	return a.organizerUC
}

// conferences are the admins' conference use cases.
func (a *app) conferences() *command.Conferences {
	if a.confUC == nil {
		a.confUC = &command.Conferences{Store: a.Store, Events: a.events()}
		a.builtPart("conference commands")
	}
	return a.confUC
}

// importer is the import use case of the HTTP import and the scheduled
// re-sync; its events go where every write's go.
func (a *app) importer() *importer.Importer {
	if a.importUC == nil {
		a.importUC = &importer.Importer{Store: a.Store, Events: a.events(), Done: func(ctx context.Context, r importer.Report) {
			a.metrics.ImportRows(ctx, r.DryRun, map[string]int{"created": r.Created, "updated": r.Updated,
				"unchanged": r.Unchanged, "cancelled": r.Cancelled, "rejected": r.Rejected})
		}}
		a.builtPart("importer")
		a.aggregator()
	}
	return a.importUC
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

// sheetFetcher downloads the sheets admins name by URL, refusing every
// address that is not a public host (shared/fetch).
func (a *app) sheetFetcher() func(ctx context.Context, url string) ([]byte, error) {
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
func (a *app) rateLimiter() httpapi.Limiter {
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
		a.builtPart("redis rate limits")
	}
	return a.limiter
}

// writeAuth is the middleware of party writes: signed in, and limited
// per user, every attempt counting, valid or not: WriteBurst writes at
// once, then one every 3 s (across instances with Redis; one count for
// every write endpoint). Its parts are built on the first write, so an
// instance that only serves the feed builds the feed alone.
func (a *app) writeAuth() func(http.Handler) http.Handler {
	return a.onDemand(func() func(http.Handler) http.Handler {
		limiter := a.rateLimiter()
		return func(next http.Handler) http.Handler {
			burst := max(a.Config.WriteBurst, 1)
			return a.signedIn(httpapi.RateLimitWith(limiter, httpapi.Policy{Name: "party.writes",
				User: httpapi.Limit{Rate: rate.Every(3 * time.Second), Burst: burst}}, next))
		}
	})
}

// limitClients is LimitClients with a limit for signed-in users and one
// for each client address; the caller holds a.mu.
func (a *app) limitClients(name string, user, client httpapi.Limit) func(http.Handler) http.Handler {
	limiter := a.rateLimiter()
	return func(next http.Handler) http.Handler {
		return httpapi.RateLimitWith(limiter, httpapi.Policy{Name: name, User: user, Anonymous: client,
			ClientAddr: httpapi.ForwardedFor(a.Config.ProxyHops)}, next)
	}
}

// organizersOnDemand builds the organizer use cases on their first use.
// It is a function, not a struct holding the *app: a type that points to
// app and goes into an interface would make the linker keep the methods
// of every part app points to (see app).
type organizersOnDemand func() *command.Organizers

func (a *app) organizersOnDemand() organizersOnDemand {
	return func() *command.Organizers {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.organizers()
	}
}

func (o organizersOnDemand) Submit(ctx context.Context, who identity.Identity, p party.Party, key string, force bool) (party.Party, bool, []event.Event, error) {
	return o().Submit(ctx, who, p, key, force)
}

func (o organizersOnDemand) Edit(ctx context.Context, who identity.Identity, id string, version int64, force bool, edit func(*party.Party) error) (party.Party, []event.Event, error) {
	return o().Edit(ctx, who, id, version, force, edit)
}

func (o organizersOnDemand) Cancel(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
	return o().Cancel(ctx, who, id, version, reason)
}

func (o organizersOnDemand) Publish(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error) {
	return o().Publish(ctx, who, id, version)
}

func (o organizersOnDemand) Remove(ctx context.Context, who identity.Identity, id string, version int64) (party.Party, []event.Event, error) {
	return o().Remove(ctx, who, id, version)
}

func (o organizersOnDemand) Reject(ctx context.Context, who identity.Identity, id string, version int64, reason string) (party.Party, []event.Event, error) {
	return o().Reject(ctx, who, id, version, reason)
}

// onDemand returns middleware that is built (by build, under the lock) on
// the first request through it.
func (a *app) onDemand(build func() func(http.Handler) http.Handler) func(http.Handler) http.Handler {
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

func (a *app) attendees() *command.Attendees {
	if a.attendeeUC == nil {
		a.attendeeUC = &command.Attendees{Parties: a.Store, Store: a.Store, Events: a.events(), CalendarSecret: a.Auth.CalendarSecret}
		a.builtPart("attendee commands")
		a.aggregator()
	}
	return a.attendeeUC
}

// events is where use cases publish: this process's bus, and with
// PARTYFINDER_EVENTS=pubsub the events topic as well, for the handlers
// that run elsewhere. A Pub/Sub client that cannot be built is logged and
// the events stay in this process (the write itself must not fail).
func (a *app) events() event.Publisher {
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
		a.builtPart("pubsub publisher")
		if ob, ok := a.Store.(outbox); ok {
			// The events are in the outbox with their change: the relay
			// publishes them from there, at least once, also when the
			// process dies between the write and the publish.
			remote := a.remote
			a.relay = inproc.NewRelay(ob, func(ctx context.Context, es []event.Event) error { return remote.Publish(ctx, es...) })
			go a.relay.Run()
			a.Events.Subscribe(func(context.Context, event.Event) { a.relay.Kick() })
			a.builtPart("outbox relay")
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

// remoteEvents is where triggers publish: the events topic, or this
// process's bus on one machine.
func (a *app) remoteEvents() event.Publisher {
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
func (a *app) aggregator() {
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
	a.builtPart("analytics aggregator")
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
func (a *app) reportEvents() event.Publisher {
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

func (a *app) deferredRetrier() *inproc.Retrier {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.deferred
}

// signedIn authenticates every request before it is routed, and refuses
// tokens issued before the user's erasure.
func (a *app) signedIn(h http.Handler) http.Handler {
	return httpapi.Authenticate(a.Auth.Verifier, a.erasureGate().Wrap(h))
}

// identified lets anonymous requests through too; a token that is sent
// must verify and be newer than its user's erasure.
func (a *app) identified(h http.Handler) http.Handler {
	return httpapi.Identify(a.Auth.Verifier, a.erasureGate().Wrap(h))
}

func (a *app) erasureGate() *erasure.Gate {
	if a.gate == nil {
		a.gate = erasure.NewGate(a.Store)
		a.Events.Subscribe(a.gate.Apply)
		a.builtPart("erasure gate")
	}
	return a.gate
}

func (a *app) calendarOptions() feed.CalendarOptions {
	cal := feed.CalendarOptions{ProdID: "-//Partyfinder//Party feed//EN"}
	if a.Config.PublicURL != "" {
		cal.BaseURL = a.Config.PublicURL + "/parties"
	}
	return cal
}
