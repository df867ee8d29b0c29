package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/partyfinder/partyfinder/functions/calendar"
	"github.com/partyfinder/partyfinder/functions/conferences"
	"github.com/partyfinder/partyfinder/functions/health"
	"github.com/partyfinder/partyfinder/functions/me"
	"github.com/partyfinder/partyfinder/functions/openapi"
	"github.com/partyfinder/partyfinder/functions/parties"
	"github.com/partyfinder/partyfinder/functions/partydays"
	"github.com/partyfinder/partyfinder/functions/swipe"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/firebaseauth"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// Store is what the application needs of a storage backend.
type Store interface {
	conference.Repository
	party.Repository
	party.Revisioner
	attendee.Repository
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
)

// FunctionNames lists every HTTP function.
var FunctionNames = []string{FnParties, FnConferences, FnPartyDays, FnCalendar, FnHealth, FnOpenAPI, FnSwipe, FnMe}

// basePaths are where each function's resources live behind Firebase
// Hosting. A function called on its own URL (https://parties-….run.app/)
// sees paths relative to it; they are mounted here so both ways work.
var basePaths = map[string]string{
	FnParties: "/api/parties", FnConferences: "/api/conferences", FnPartyDays: "/api/party-days",
	FnCalendar: "/api/calendar", FnHealth: "/api/health", FnOpenAPI: "/api/openapi.yaml",
	FnSwipe: "/api/swipe", FnMe: "/api/me",
}

// App holds the opened store, the feed cache and every function's handler.
type App struct {
	Config   Config
	Store    Store
	Feed     *feed.Cache
	handlers map[string]http.Handler
	edge     httpapi.Options
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

// New builds the application over an opened store.
func New(c Config, store Store, auth Auth) *App {
	a := &App{Config: c, Store: store, Feed: feed.NewCache(store, feed.Options{Refresh: c.FeedRefresh, DefaultConference: c.DefaultConference})}
	cal := feed.CalendarOptions{ProdID: "-//Partyfinder//Party feed//EN"}
	if c.PublicURL != "" {
		cal.BaseURL = c.PublicURL + "/parties"
	}
	erasures := me.NewErasures(store)
	views := me.NewViews(store, a.Feed)
	routes := map[string]http.Handler{
		FnParties:     (&parties.Handler{Feed: a.Feed, Calendar: cal}).Routes(),
		FnConferences: (&conferences.Handler{Feed: a.Feed, Calendar: cal}).Routes(),
		FnPartyDays:   (&partydays.Handler{Feed: a.Feed}).Routes(),
		FnCalendar:    (&calendar.Handler{Feed: a.Feed, Calendar: cal, Personal: &me.FeedServer{Store: store, Views: views}}).Routes(),
		FnHealth:      (&health.Handler{Version: c.Version, Checks: map[string]health.Pinger{"store": store}}).Routes(),
		FnOpenAPI:     openapi.Routes(),
		// Every request to these two is authenticated before it is routed,
		// and refused when its token predates the user's erasure.
		FnSwipe: httpapi.Authenticate(auth.Verifier, erasures.Wrap((&swipe.Handler{Store: store, Feed: a.Feed}).Routes())),
		FnMe: httpapi.Authenticate(auth.Verifier, erasures.Wrap((&me.Handler{Store: store, Feed: a.Feed,
			CalendarSecret: auth.CalendarSecret, PublicURL: c.PublicURL, Erasures: erasures, Views: views}).Routes())),
	}
	origins := c.CORSOrigins
	if c.Local {
		origins = append(origins, "http://localhost:*", "http://127.0.0.1:*", "http://localhost", "http://127.0.0.1")
	}
	a.edge = httpapi.Options{
		CORS:    httpapi.NewCORS(origins),
		Tracing: c.TraceExporter != "" && c.TraceExporter != "none",
		HSTS:    !c.Local,
	}
	a.handlers = make(map[string]http.Handler, len(routes))
	for name, h := range routes {
		a.handlers[name] = a.Chain(name, h)
	}
	return a
}

// Chain wraps h in the middleware every function gets, so a handler the
// local runner adds (its 404 for unrouted paths) behaves like the rest.
func (a *App) Chain(name string, h http.Handler) http.Handler {
	o := a.edge
	o.Name = name
	return httpapi.Chain(h, o)
}

// Handler returns the named function's handler, or nil.
func (a *App) Handler(name string) http.Handler { return a.handlers[name] }

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

// Lazy builds the App on first use, from the environment, so that a cold
// start of one function opens only what it needs and a misconfiguration is
// a clear 503 with a logged reason rather than a crash loop.
type Lazy struct {
	once   sync.Once
	app    *App
	err    error
	Getenv func(string) string
}

// Handler returns a handler for the named function that builds the App on
// its first request.
func (l *Lazy) Handler(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l.once.Do(func() { l.app, l.err = l.build(r.Context()) })
		if l.err != nil {
			httpapi.LogError(r, "startup failed", l.err)
			httpapi.Error(w, r, &apperr.Error{Kind: apperr.Unavailable, Message: "the service is not configured correctly"})
			return
		}
		h := l.app.Handler(name)
		if h == nil {
			httpapi.Error(w, r, errors.New("unknown function "+name))
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			r.URL.Path = strings.TrimSuffix(basePaths[name]+r.URL.Path, "/")
			r.URL.RawPath = ""
		}
		h.ServeHTTP(w, r)
	}
}

func (l *Lazy) build(ctx context.Context) (*App, error) {
	c, err := ConfigFromEnv(l.Getenv)
	if err != nil {
		return nil, err
	}
	if err := Setup(ctx, c); err != nil {
		return nil, err
	}
	// The store outlives the request that opened it.
	store, err := OpenStore(context.WithoutCancel(ctx), c)
	if err != nil {
		return nil, err
	}
	return New(c, store, Auth{Verifier: firebaseauth.New(c.ProjectID), CalendarSecret: c.CalendarSecret}), nil
}
