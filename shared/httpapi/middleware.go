package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// Options configures the middleware chain.
type Options struct {
	Name    string        // the function's name, used as the span name prefix
	CORS    *CORS         // nil: no cross-origin access
	MaxBody int64         // request body limit in bytes; 0 means 1 MiB
	Timeout time.Duration // per-request deadline; 0 means 15 s
	Tracing bool          // wrap in an OpenTelemetry server span
	HSTS    bool          // send Strict-Transport-Security
	// Observe, if set, hears of every answered request: the request (whose
	// RouteTemplate is known by then), its status and how long it took (the
	// SLO accounting and the request metrics).
	Observe func(r *http.Request, status int, took time.Duration)
}

// Chain wraps h with the cross-cutting concerns every function shares, in
// this order from the outside in: panic recovery, request id and deadline,
// tracing, logging, security headers, CORS, query check, body limit.
func Chain(h http.Handler, o Options) http.Handler {
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	h = withBodyLimit(h, o.MaxBody)
	h = withQueryCheck(h)
	h = o.CORS.wrap(h)
	h = withSecurityHeaders(h, o.HSTS)
	h = withLogging(h)
	if o.Tracing {
		h = withRedactedPath(h)
		// Named by method alone until the router knows the route: a path
		// may hold a secret (a personal calendar token), a route template
		// never does.
		h = otelhttp.NewHandler(h, o.Name,
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				// otelhttp names the span again at its end when a ServeMux
				// set r.Pattern, which may be an outer mux's ("/"): the
				// route our router recorded is the one to name.
				if rt, ok := r.Context().Value(routeKey{}).(*route); ok && rt.template != "" {
					return r.Method + " " + rt.template
				}
				return r.Method
			}))
	}
	if !o.Tracing {
		// No spans are recorded, but a caller's trace id still reaches the
		// logs, so Cloud Logging groups them under the caller's trace.
		h = withTraceContext(h)
	}
	h = withRequestContext(h, o.Timeout)
	h = withRecovery(h)
	if o.Observe != nil {
		h = withObserve(h, o.Observe)
	}
	return h
}

func withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic serving request",
					"panic", fmt.Sprint(v), "path", RoutePath(r), "stack", string(debug.Stack()))
				Error(w, r, apperr.New(apperr.Internal, "panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// serverTimeout is the shortest time the servers we run under give one
// request to be read and answered (the local runner's read timeout);
// deadlineMargin is the time a route's answer may take to be written
// after its own deadline passed (the problem that says so).
const (
	serverTimeout  = 30 * time.Second
	deadlineMargin = 5 * time.Second
)

// withRequestContext takes a sane X-Request-Id from the caller or makes one,
// puts it into the context (and so into every log line), echoes it, and
// gives the request its deadline: one derived request, not one per concern.
func withRequestContext(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneID(id) {
			id = requestIDPrefix + strconv.FormatUint(requestSeq.Add(1), 36)
		}
		w.Header()["X-Request-Id"] = []string{id}
		if timeout > serverTimeout {
			// A route given longer than servers give a request (an
			// import's minutes) extends its connection's deadlines to
			// its own, or the server would cut the answer off midway.
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(timeout))
			_ = rc.SetWriteDeadline(time.Now().Add(timeout + deadlineMargin))
		}
		ctx, cancel := context.WithTimeout(telemetry.WithRequestID(r.Context(), id), timeout)
		if _, ok := ctx.Value(routeKey{}).(*route); !ok { // withObserve may have put it there
			ctx = context.WithValue(ctx, routeKey{}, &route{})
		}
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Generated request ids are a random per-process prefix and a counter:
// unique across instances without a random read per request.
var (
	requestIDPrefix = func() string {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:]) + "-"
	}()
	requestSeq atomic.Uint64
)

func saneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withLogging writes one structured line per request: at debug level for
// successes (Cloud Run logs every request already), warning for 4xx bursts
// are left to metrics, error level for 5xx.
func withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		debugOn := slog.Default().Enabled(ctx, slog.LevelDebug)
		if !debugOn {
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if rec.status >= 500 {
				slog.ErrorContext(ctx, "request", "method", r.Method, "path", RoutePath(r), "status", rec.status)
			}
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelError
		}
		slog.Log(ctx, level, "request",
			slog.Group("httpRequest",
				"requestMethod", r.Method,
				"requestUrl", requestURL(r),
				"status", rec.status,
				"responseSize", rec.bytes,
				"userAgent", r.UserAgent(),
				"latency", fmt.Sprintf("%.6fs", time.Since(start).Seconds()),
			))
	})
}

// Static header values, shared read-only by every response to save
// allocations on the hot path.
var (
	hNosniff  = []string{"nosniff"}
	hDeny     = []string{"DENY"}
	hCSP      = []string{"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"}
	hReferrer = []string{"no-referrer"}
	hHSTS     = []string{"max-age=63072000; includeSubDomains"}
	hCOOP     = []string{"same-origin"}
	hPermsPol = []string{"camera=(), microphone=(), geolocation=()"}
)

func withSecurityHeaders(next http.Handler, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hNosniff
		h["X-Frame-Options"] = hDeny
		h["Content-Security-Policy"] = hCSP
		h["Referrer-Policy"] = hReferrer
		h["Cross-Origin-Opener-Policy"] = hCOOP
		h["Permissions-Policy"] = hPermsPol
		if hsts {
			h["Strict-Transport-Security"] = hHSTS
		}
		next.ServeHTTP(w, r)
	})
}

// PayloadTooLarge is an HTTP-only kind for oversized bodies (413). A
// handler that reads a body itself answers with it when the body limit
// stops the read.
const PayloadTooLarge apperr.Kind = "payload_too_large"

func withBodyLimit(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			Error(w, r, &apperr.Error{Kind: PayloadTooLarge,
				Message: fmt.Sprintf("request body is larger than %d bytes", limit)})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// headerList joins header names for Access-Control-* values.
func headerList(names ...string) []string { return []string{strings.Join(names, ", ")} }

// maxQueryParams bounds the parameters of one request: no operation takes
// more than a dozen, and past this the standard library would drop the
// rest without a word.
const maxQueryParams = 256

// withQueryCheck answers 400 to a query string that does not parse, which
// url.URL.Query would otherwise silently cut short: a ';' separator, a
// broken %-escape, too many parameters. So "?limit=1;x" is an error, not
// limit 50, and every handler reads the query the client meant.
func withQueryCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r.URL.RawQuery); err != nil {
			Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkQuery scans a raw query without allocating: the hot path pays a
// loop over a few dozen bytes.
func checkQuery(raw string) error {
	n := 1
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ';':
			return apperr.Field("query", "format", "parameters are separated by '&', not ';'")
		case '&':
			if n++; n > maxQueryParams {
				return apperr.Field("query", "too_many", fmt.Sprintf("at most %d parameters", maxQueryParams))
			}
		case '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return apperr.Field("query", "format", "holds a '%' that does not start an escape like %20")
			}
			i += 2
		}
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// route is where the router records the route a request matched, for the
// middleware around it: logs and spans name the route template, never the
// path, which may hold a secret (a personal calendar token).
type route struct{ template string }

type routeKey struct{}

// matched records the route template of r, and names the request's span
// after it.
func matched(r *http.Request, method, template string) {
	if rt, ok := r.Context().Value(routeKey{}).(*route); ok {
		rt.template = template
	}
	span := trace.SpanFromContext(r.Context())
	if span.IsRecording() {
		span.SetName(method + " " + template)
		span.SetAttributes(attribute.String("http.route", template), attribute.String("url.path", template))
	}
}

// maxLoggedPath bounds a path that matched no route where it is logged.
const maxLoggedPath = 200

// RoutePath returns what logs and spans may say of r's path: the template
// of the route it matched ("/api/calendar/u/{file}"), or, when it matched
// none (a preflight, a redirect, a 404), the path with every segment that
// is not a word of some route's template replaced by "{redacted}": a
// calendar token or a share code in a path that no route took must not
// reach a log or a span either.
func RoutePath(r *http.Request) string {
	if t := RouteTemplate(r); t != "" {
		return t
	}
	return redactPath(r.URL.Path)
}

// literals holds every fixed segment of a route template ("api",
// "calendar", "u" of "/api/calendar/u/{file}"): what a path may show of
// itself in telemetry when no route matched it.
var literals sync.Map // string -> struct{}

// learnLiterals records the fixed segments of a route template.
func learnLiterals(template string) {
	for seg := range strings.SplitSeq(template, "/") {
		if seg != "" && !strings.ContainsAny(seg, "{}") {
			literals.Store(seg, struct{}{})
		}
	}
}

// redacted stands for a path segment that telemetry must not show.
const redacted = "{redacted}"

// redactPath keeps a path's known words and empty segments (so an untidy
// "//" stays visible) and replaces every other segment, clipped.
func redactPath(p string) string {
	var b strings.Builder
	for i, seg := range strings.Split(p, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if b.Len() > maxLoggedPath {
			b.WriteString("…")
			break
		}
		if _, known := literals.Load(seg); known || seg == "" {
			b.WriteString(seg)
		} else {
			b.WriteString(redacted)
		}
	}
	return b.String()
}

// withRedactedPath sits just inside the tracing handler: when no route
// matched a request, the span's url.path (which otelhttp took from the raw
// path) is overwritten with the redacted one before the span ends.
func withRedactedPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() && RouteTemplate(r) == "" {
			span.SetAttributes(attribute.String("url.path", RoutePath(r)))
		}
	})
}

// RouteTemplate is the template of the route that matched r ("GET
// /api/parties/{id}" matches as "/api/parties/{id}"), or "" when none did.
func RouteTemplate(r *http.Request) string {
	if rt, ok := r.Context().Value(routeKey{}).(*route); ok {
		return rt.template
	}
	return ""
}

// requestURL is the access log's URL: the route template and the query.
func requestURL(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return RoutePath(r)
	}
	return RoutePath(r) + "?" + clip(r.URL.RawQuery, 1000)
}

// withTraceContext reads an incoming traceparent into the request's
// context without starting a span: what otelhttp does when tracing is on.
func withTraceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Traceparent") == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withObserve reports each request's status and duration, outside the
// panic recovery so that a panic counts as the 500 it is answered with.
func withObserve(next http.Handler, observe func(*http.Request, int, time.Duration)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		// The router records the matched route in this request's context,
		// deeper in the chain.
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, &route{}))
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		observe(r, status, time.Since(start))
	})
}
