package partyfinder

import (
	"context"
	"net/http"
	"slices"

	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// App is the whole application in one process, as the local runner
// (scripts/partyfinder) and the tests serve it: the wiring of every
// function and trigger, with what only a process that serves them all
// needs. A deployed function builds its wiring alone (Lazy), so none of
// this is in its binary.
type App struct{ *app }

// New returns the application over an opened store. It builds no function
// yet: Handler builds each on first use.
func New(c Config, store Storage, auth Auth) *App { return &App{newApp(c, store, auth)} }

// Handler returns the named function's handler with its middleware,
// building it on first use; nil for an unknown name.
func (p *App) Handler(name string) http.Handler { return p.handler(name) }

// Chain wraps h in the middleware every function gets, so a handler the
// local runner adds (its 404 for unrouted paths) behaves like the rest.
func (p *App) Chain(name string, h http.Handler) http.Handler { return p.chain(name, h) }

// TriggerHandler returns the named trigger's handler, building it on
// first use; nil for an unknown name.
func (p *App) TriggerHandler(name string) CloudEventHandler { return p.triggerHandler(name) }

// Close counts what is queued, sends what is buffered, then releases the
// store.
func (p *App) Close() error { return p.shutdown() }

// Built lists the shared parts built so far, in the order they were.
func (p *App) Built() []string { return slices.Clone(p.built) }

// Feed returns the party feed cache, building it on first use.
func (p *App) Feed() *feed.Cache {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.feed()
}

// SyncSheets re-syncs every conference's sheet now and then every
// Config.SyncInterval until ctx ends: on one machine, the stand-in for the
// Cloud Scheduler job that calls ResyncSheets. Off when the interval is 0.
func (p *App) SyncSheets(ctx context.Context) {
	if p.Config.SyncInterval <= 0 {
		return
	}
	p.mu.Lock()
	h := p.resync()
	p.mu.Unlock()
	go h.Every(ctx, p.Config.SyncInterval)
}

// LimitClients limits requests per client, the sign-in-free POSTs' way:
// l for each client address (ForwardedFor with Config.ProxyHops, so
// every instance sees the caller, not the platform's proxy) and for each
// signed-in user, counted across instances with Redis.
func (p *App) LimitClients(name string, l httpapi.Limit, next http.Handler) http.Handler {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limitClients(name, l, l)(next)
}

// ImportEvents is where an import run outside a server (the command
// line) publishes its events: beyond this process as configured, and
// straight to the shared cache tier, so every instance sees the import at
// its next check even when none relays the events.
func (p *App) ImportEvents() event.Publisher {
	p.mu.Lock()
	defer p.mu.Unlock()
	inv := p.invalidator()
	if p.Config.Events == EventsPubSub {
		// The outbox's relay publishes the import's events before Close
		// returns. In process, the servers' relays deliver them (a server
		// also drops its own cached snapshot then).
		p.events()
	}
	return event.Fanout{p.events(), publisherFunc(func(ctx context.Context, es ...event.Event) error {
		return inv.Apply(ctx, es)
	})}
}

// FlushAnalytics waits until the analytics of every event published so
// far in this process are counted.
func (p *App) FlushAnalytics() {
	p.mu.Lock()
	q, r := p.analytics, p.relay
	p.mu.Unlock()
	if q != nil {
		q.Flush()
	}
	if r != nil {
		r.Flush()
	}
}
