package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/prometheus"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := partyfinder.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	cfg.Local = true
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", defaultAddr(), "listen address (default :8080, or :$PORT)")
	fs.StringVar(&cfg.DBPath, "db", cfg.DBPath, "SQLite database file")
	fs.StringVar(&cfg.Store, "store", cfg.Store, "store: sqlite or firestore (FIRESTORE_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT are honoured)")
	noSeed := fs.Bool("no-seed", false, "do not seed the demo conference into an empty store")
	metrics := fs.Bool("metrics", true, "serve Prometheus metrics at /metrics, to clients on this machine only")
	config := fs.String("firebase", "firebase.json", "firebase.json whose hosting rewrites map paths to functions")
	fs.StringVar(&cfg.Events, "events", cfg.Events, "where domain events go beyond this process: inproc, or pubsub (the Pub/Sub emulator at PUBSUB_EMULATOR_HOST)")
	fs.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns, "connections open at once on each listener; beyond, new ones wait")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "how long a keep-alive connection may wait for its next request")
	fs.DurationVar(&cfg.Drain, "drain", cfg.Drain, "on SIGTERM or Ctrl-C, how long to go on answering requests on open connections, each answer closing its connection, before shutting down")
	functionsAddr := fs.String("functions-emulator", "", "with --store firestore --events pubsub: also serve the Firestore emulator's trigger calls on this address, the one it was started with (--functions_emulator=ADDR); --addr always serves them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.MaxConns < 1 || cfg.IdleTimeout <= 0 || cfg.Drain < 0 {
		return errors.New("--max-conns wants a positive number, --idle-timeout a positive duration, --drain a duration of 0 or more")
	}
	// Firestore triggers run here when their events can leave this
	// process: on Firestore with --events pubsub, where the API leaves
	// swipes and saves to OnDecisionWritten.
	documentTriggers := cfg.Store == partyfinder.StoreFirestore && cfg.Events == partyfinder.EventsPubSub
	if *functionsAddr != "" && !documentTriggers {
		return errors.New("--functions-emulator serves Firestore triggers: it needs --store firestore --events pubsub")
	}
	if (cfg.Store == partyfinder.StoreFirestore || cfg.Events == partyfinder.EventsPubSub) && cfg.ProjectID == "" {
		cfg.ProjectID = "demo-party"
	}
	rewrites, err := loadRewrites(*config)
	if err != nil {
		return err
	}
	var (
		readers        []sdkmetric.Reader
		metricsHandler http.Handler
	)
	if *metrics {
		reader, h, err := prometheus.New()
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		readers, metricsHandler = append(readers, reader), prometheus.LocalOnly(h)
	}
	shutdownTelemetry, err := partyfinder.Setup(ctx, cfg, readers...)
	if err != nil {
		return err
	}
	defer func() {
		// Spans and metrics still buffered reach the exporters before the
		// process ends.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTelemetry(ctx); err != nil {
			slog.Error("flush spans and metrics at shutdown", "error", err)
		}
	}()
	store, err := partyfinder.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	auth, devAuth, err := localAuth(cfg, *addr, stdout)
	if err != nil {
		return err
	}
	a := partyfinder.New(cfg, store, auth)
	defer a.Close()

	if !*noSeed {
		if n, err := seedIfEmpty(ctx, store, time.Now()); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		} else if n > 0 {
			fmt.Fprintf(stdout, "seeded the demo conference with %d parties\n", n)
		}
	}
	handler, err := newRouter(rewrites, a)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	if devAuth != nil {
		// Sign-in needs no token, so each client is limited: a burst,
		// then one a second.
		signIn := a.LimitClients("dev.signin", httpapi.Limit{Rate: 1, Burst: cfg.SignInBurst}, devAuth.SignInHandler())
		mux.Handle("/api/dev/signin", a.Chain("devSignIn", signIn))
	}
	if cfg.Events == partyfinder.EventsPubSub {
		mux.Handle(triggersPath, a.Chain("triggers", pushHandler(a)))
	}
	var (
		fsBridge      *bridge
		bridgeHandler http.Handler
	)
	if documentTriggers {
		fsBridge = newBridge(firestoreRegistrations(partyfinder.Triggers), a.TriggerHandler)
		// A document event carries the document before and after, each up
		// to 1 MiB, as base64 text. The emulator waits 20 s for an answer
		// (and calls nothing else meanwhile): the bridge's deadline, its
		// retries included, stays below that.
		bridgeHandler = httpapi.Chain(fsBridge, httpapi.Options{Name: "firestoreTriggers", MaxBody: 4 << 20, Timeout: bridgeTimeout})
		mux.Handle(functionsPath, bridgeHandler)
	}
	if metricsHandler != nil {
		mux.Handle("GET /metrics", metricsHandler)
	}
	mux.Handle("/", handler)
	handler = canonicalPaths(mux, a.Chain("redirect", http.HandlerFunc(redirectToClean)))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	servers := []*httpServer{newServer(ln, handler, cfg)}
	bridgeAddr := ln.Addr().String()
	if *functionsAddr != "" {
		fnLn, err := net.Listen("tcp", *functionsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--functions-emulator: %w", err)
		}
		servers = append(servers, newServer(fnLn, bridgeHandler, cfg))
		bridgeAddr = fnLn.Addr().String()
	}
	closeAll := func() {
		for _, s := range servers {
			s.ln.Close()
		}
	}
	if cfg.Events == partyfinder.EventsPubSub {
		if err := setupPubSub(ctx, cfg, "http://"+ln.Addr().String(), stdout); err != nil {
			closeAll()
			return err
		}
	}
	if documentTriggers {
		if err := setupFirestoreTriggers(ctx, cfg, fsBridge, bridgeAddr, stdout); err != nil {
			closeAll()
			return err
		}
	}
	base := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "partyfinder serving %s store on %s\n", cfg.Store, base)
	fmt.Fprintf(stdout, "try:\n  %[1]s/api/parties\n  %[1]s/api/parties?date=%[2]s&free=true\n  %[1]s/api/party-days\n  %[1]s/api/conferences\n  %[1]s/api/parties/trending\n  %[1]s/api/hotspots?conference=%[3]s\n  %[1]s/api/health\n  %[1]s/api/openapi.yaml\n",
		base, firstDay(ctx, a), defaultConference(ctx, a))

	// The stand-in for Cloud Scheduler: conferences that name a sheet are
	// re-synced now and every PARTYFINDER_SYNC_INTERVAL (default 1h).
	a.SyncSheets(ctx)

	if err := serveUntil(ctx, servers, cfg.Drain); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// httpServer is one of the runner's HTTP servers with its listener.
type httpServer struct {
	*http.Server
	ln       *limitListener
	draining atomic.Bool // stopping: every answer closes its connection
}

// newServer serves h on ln, holding at most cfg.MaxConns connections
// open, closing keep-alive ones idle for cfg.IdleTimeout.
func newServer(ln net.Listener, h http.Handler, cfg partyfinder.Config) *httpServer {
	s := &httpServer{ln: newLimitListener(ln, cfg.MaxConns)}
	s.Server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.draining.Load() {
				// Unlike SetKeepAlivesEnabled(false), this closes no idle
				// connection a client may be sending its next request on:
				// the server closes each after its next answer.
				w.Header().Set("Connection", "close")
			}
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       cfg.IdleTimeout,
		ConnState:         s.ln.ConnState,
	}
	return s
}

// serveUntil runs the servers until ctx is done, then stops them without
// breaking a request a client has sent. First they stop listening, once
// the connections waiting in the listen backlog are accepted: a client
// connecting later is refused, which it may safely retry. Then, for at
// most the drain time, they answer the requests still coming on their
// connections, each answer closing its connection (a client may be
// sending a request on an idle keep-alive connection at the moment the
// server would close it). Last they shut down, closing the connections
// still idle and waiting for the requests in flight.
func serveUntil(ctx context.Context, servers []*httpServer, drain time.Duration) error {
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.Serve(s.ln) }()
	}
	select {
	case err := <-errc:
		for _, s := range servers {
			s.Close()
		}
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down", "drain", drain)
	// Listening ends before answers close their connections: else every
	// client would be connecting anew just as the listener closes, and a
	// handshake in flight then is reset.
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(func() { s.ln.closeEmpty(time.Second) })
	}
	wg.Wait()
	for _, s := range servers {
		s.draining.Store(true)
	}
	for deadline := time.Now().Add(drain); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		open := 0
		for _, s := range servers {
			open += s.ln.Open()
		}
		if open == 0 {
			break
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			return err
		}
	}
	for range servers {
		// Serve ends with net.ErrClosed when closeEmpty came first.
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			return err
		}
	}
	return nil
}

// defaultAddr listens on loopback only: a development server is not for
// the network, and local sign-in refuses to run anywhere else. $PORT (as
// container platforms set it) means all interfaces.
func defaultAddr() string {
	if p := os.Getenv("PORT"); p != "" {
		return ":" + p
	}
	return "127.0.0.1:8080"
}

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
	}
	return a.String()
}

// firstDay names a day with parties, for the example URLs.
func firstDay(ctx context.Context, a *partyfinder.App) string {
	s, err := a.Feed().ConferenceSnapshot(ctx, "")
	if err != nil || len(s.Days) == 0 {
		return ""
	}
	return s.Days[0].Date
}

// defaultConference names the conference requests without one get, for
// the example URLs.
func defaultConference(ctx context.Context, a *partyfinder.App) string {
	s, err := a.Feed().ConferenceSnapshot(ctx, "")
	if err != nil {
		return ""
	}
	return s.Conference.ID
}

// seedIfEmpty stores the demo conference when the store has no conference at all.
func seedIfEmpty(ctx context.Context, store partyfinder.Storage, now time.Time) (int, error) {
	cs, err := store.Conferences(ctx)
	if err != nil || len(cs) > 0 {
		return 0, err
	}
	conf, parties := demo.Data(now)
	if _, err := store.CreateConference(ctx, conf); err != nil && !apperr.Is(err, apperr.Conflict) {
		return 0, err
	}
	if err := store.SaveParties(ctx, parties); err != nil {
		return 0, err
	}
	return len(parties), nil
}

// canonicalPaths sends a request whose path is not clean ("/api/./parties",
// "//api/parties") to redirect instead of letting http.ServeMux answer it:
// ServeMux redirects before any middleware, so its answer would carry no
// security headers and no request id.
func canonicalPaths(mux, redirect http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p != "" && p != cleanPath(p) {
			redirect.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// cleanPath is p as ServeMux would have it: rooted, no "." or ".."
// segments, no double slashes, a trailing slash kept.
func cleanPath(p string) string {
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// redirectToClean answers with a permanent redirect to the clean path,
// keeping the method and body (308) and the query.
func redirectToClean(w http.ResponseWriter, r *http.Request) {
	u := *r.URL
	u.Path, u.RawPath = cleanPath(r.URL.Path), ""
	w.Header().Set("Location", u.RequestURI())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusPermanentRedirect)
}
