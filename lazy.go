package partyfinder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/firebaseauth"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Lazy builds the App on first use, from the environment, so that a cold
// start of one function opens only what it needs and a misconfiguration is
// a clear 503 with a logged reason rather than a crash loop. A build that
// failed is tried again on a request at least RetryBuild after the
// failure: a store that was briefly unreachable at the first request must
// not leave the instance answering 503 until it is recycled.
type Lazy struct {
	app      atomic.Pointer[app] // set once built: the request path reads it without a lock
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
func (l *Lazy) get(ctx context.Context) (*app, error) {
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
		built.Do(func() { h = a.handler(name) })
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
		built.Do(func() { h = a.triggerHandler(name) })
		if h == nil {
			return fmt.Errorf("unknown trigger %s", name)
		}
		return h(ctx, e)
	}
}

func (l *Lazy) build(ctx context.Context) (*app, error) {
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
	return newApp(c, store, Auth{Verifier: firebaseauth.New(c.ProjectID), CalendarSecret: c.CalendarSecret}), nil
}
