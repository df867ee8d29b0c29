package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/rendered"
	"github.com/partyfinder/partyfinder/shared/telemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

var securityHeaders = map[string]string{
	"X-Content-Type-Options": "nosniff",
	"X-Frame-Options":        "DENY",
	"Referrer-Policy":        "no-referrer",
}

func checkSecurityHeaders(t *testing.T, h http.Header, hsts bool) {
	t.Helper()
	for k, want := range securityHeaders {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", csp)
	}
	if got := h.Get("Strict-Transport-Security"); (got != "") != hsts {
		t.Errorf("Strict-Transport-Security = %q, want present = %v", got, hsts)
	} else if hsts && !strings.Contains(got, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q has no max-age", got)
	}
}

// testApp is a small application behind the chain, with every kind of answer.
func testApp() http.Handler {
	rt := httpapi.NewRouter()
	cached := rendered.New("application/json", "public, max-age=60", jsonBody(4000))
	rt.Handle("GET", "/ok", func(w http.ResponseWriter, r *http.Request) {
		httpapi.JSON(w, http.StatusOK, map[string]bool{"success": true})
	})
	rt.Handle("GET", "/cached", cached.Serve)
	rt.Handle("GET", "/missing", func(w http.ResponseWriter, r *http.Request) {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no party"))
	})
	rt.Handle("GET", "/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("secret panic value 42")
	})
	rt.Handle("POST", "/echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			httpapi.Error(w, r, apperr.New(apperr.Invalid, "read body: %v", err))
			return
		}
		w.Write(b)
	})
	return rt
}

func TestChainSecurityHeaders(t *testing.T) {
	etag := rendered.New("application/json", "", jsonBody(4000)).ETag
	tests := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
	}{
		{"200", func() *http.Request { return httptest.NewRequest("GET", "/ok", nil) }, 200},
		{"cached 200", func() *http.Request { return httptest.NewRequest("GET", "/cached", nil) }, 200},
		{"304", func() *http.Request {
			r := httptest.NewRequest("GET", "/cached", nil)
			r.Header.Set("If-None-Match", etag)
			return r
		}, 304},
		{"handler error", func() *http.Request { return httptest.NewRequest("GET", "/missing", nil) }, 404},
		{"router 404", func() *http.Request { return httptest.NewRequest("GET", "/nowhere", nil) }, 404},
		{"router 405", func() *http.Request { return httptest.NewRequest("DELETE", "/ok", nil) }, 405},
		{"panic", func() *http.Request { return httptest.NewRequest("GET", "/panic", nil) }, 500},
		{"body too large", func() *http.Request {
			return httptest.NewRequest("POST", "/echo", strings.NewReader(strings.Repeat("x", 200)))
		}, 413},
		{"preflight", func() *http.Request { return httptest.NewRequest("OPTIONS", "/ok", nil) }, 204},
	}
	captureLogs(t, slog.LevelError) // the panic case logs; keep test output clean
	for _, hsts := range []bool{false, true} {
		h := httpapi.Chain(testApp(), httpapi.Options{Name: "test", MaxBody: 100, HSTS: hsts})
		for _, tt := range tests {
			t.Run(tt.name+" hsts="+strconv.FormatBool(hsts), func(t *testing.T) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, tt.req())
				if rec.Code != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
				}
				checkSecurityHeaders(t, rec.Header(), hsts)
				if rec.Header().Get("X-Request-Id") == "" {
					t.Errorf("no X-Request-Id")
				}
			})
		}
	}
}

func TestChainRequestID(t *testing.T) {
	long64 := strings.Repeat("a", 64)
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"simple", "abc-123", true},
		{"trace-like", "4bf92f3577b34da6a3ce929d0e0e4736.00f067aa0ba902b7_1", true},
		{"64 chars", long64, true},
		{"absent", "", false},
		{"65 chars", long64 + "a", false},
		{"200 chars", strings.Repeat("b", 200), false},
		{"spaces", "abc 123", false},
		{"header injection", "abc\" onload=x", false},
		{"slash", "../etc/passwd", false},
		{"non-ascii", "abcé", false},
	}
	sane := regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inCtx string
			h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inCtx = telemetry.RequestID(r.Context())
			}), httpapi.Options{})
			req := httptest.NewRequest("GET", "/", nil)
			if tt.sent != "" {
				req.Header.Set("X-Request-Id", tt.sent)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if tt.echoed && got != tt.sent {
				t.Errorf("X-Request-Id = %q, want the sane id %q echoed", got, tt.sent)
			}
			if !tt.echoed && (got == tt.sent || !sane.MatchString(got)) {
				t.Errorf("X-Request-Id = %q, want a fresh generated id", got)
			}
			if inCtx != got {
				t.Errorf("handler saw request id %q, response says %q", inCtx, got)
			}
		})
	}

	t.Run("generated ids differ", func(t *testing.T) {
		h := httpapi.Chain(http.NotFoundHandler(), httpapi.Options{})
		seen := map[string]bool{}
		for range 50 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			id := rec.Header().Get("X-Request-Id")
			if seen[id] {
				t.Fatalf("request id %q generated twice", id)
			}
			seen[id] = true
		}
	})
}

func TestChainRecoversPanics(t *testing.T) {
	logs := captureLogs(t, slog.LevelInfo)
	h := httpapi.Chain(testApp(), httpapi.Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/panic", nil))
	p := decodeProblem(t, rec, http.StatusInternalServerError)
	if *p.Code != "internal" || *p.Detail != genericDetail {
		t.Errorf("problem = code %q detail %q", *p.Code, *p.Detail)
	}
	if strings.Contains(rec.Body.String(), "secret panic value") {
		t.Errorf("panic value leaked to the client: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "secret panic value 42") {
		t.Errorf("panic value not logged; log: %s", logs)
	}

	t.Run("abort handler is not swallowed", func(t *testing.T) {
		// http.ErrAbortHandler asks the server to drop the connection; the
		// chain must let it through instead of writing a 500.
		h := httpapi.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic(http.ErrAbortHandler)
		}), httpapi.Options{})
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	})
}

func TestChainBodyLimit(t *testing.T) {
	tests := []struct {
		name          string
		maxBody       int64
		size          int
		chunked       bool // no Content-Length: the limit must hold while reading
		wantStatus    int
		wantTooLarge  bool // the handler's read fails with *http.MaxBytesError
		handlerCalled bool
	}{
		{"under limit", 100, 99, false, 200, false, true},
		{"at limit", 100, 100, false, 200, false, true},
		{"declared over limit", 100, 101, false, 413, false, false},
		{"streamed under limit", 100, 100, true, 200, false, true},
		{"streamed over limit", 100, 101, true, 400, true, true},
		{"streamed far over limit", 100, 1 << 16, true, 400, true, true},
		{"default limit, at 1 MiB", 0, 1 << 20, false, 200, false, true},
		{"default limit, over 1 MiB", 0, 1<<20 + 1, false, 413, false, false},
		{"default limit, streamed over 1 MiB", 0, 1<<20 + 1, true, 400, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var called bool
			var readErr error
			var read int
			h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				b, err := io.ReadAll(r.Body)
				read, readErr = len(b), err
				if err != nil {
					w.WriteHeader(http.StatusBadRequest)
				}
			}), httpapi.Options{MaxBody: tt.maxBody})
			var body io.Reader = strings.NewReader(strings.Repeat("x", tt.size))
			if tt.chunked {
				body = io.MultiReader(body) // hides the length from NewRequest
			}
			req := httptest.NewRequest("POST", "/", body)
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if called != tt.handlerCalled {
				t.Errorf("handler called = %v, want %v", called, tt.handlerCalled)
			}
			if tt.wantStatus == 413 {
				p := decodeProblem(t, rec, 413)
				if *p.Code != "payload_too_large" {
					t.Errorf("code = %q", *p.Code)
				}
			}
			var tooLarge *http.MaxBytesError
			if got := errors.As(readErr, &tooLarge); got != tt.wantTooLarge {
				t.Errorf("read error = %v, want MaxBytesError = %v", readErr, tt.wantTooLarge)
			}
			limit := tt.maxBody
			if limit == 0 {
				limit = 1 << 20
			}
			if int64(read) > limit {
				t.Errorf("handler read %d bytes past the %d-byte limit", read, limit)
			}
		})
	}
}

func TestChainDeadline(t *testing.T) {
	tests := []struct {
		timeout, want time.Duration
	}{
		{0, 15 * time.Second},
		{2 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			var deadline time.Time
			var ok bool
			h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				deadline, ok = r.Context().Deadline()
			}), httpapi.Options{Timeout: tt.timeout})
			before := time.Now()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			after := time.Now()
			if !ok {
				t.Fatal("handler context has no deadline")
			}
			if deadline.Before(before.Add(tt.want)) || deadline.After(after.Add(tt.want)) {
				t.Errorf("deadline %v is not %v after the request", deadline.Sub(before), tt.want)
			}
		})
	}
}

func TestChainLogsServerErrors(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			logs := captureLogs(t, level)
			h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/bad" {
					w.WriteHeader(http.StatusBadGateway)
				}
			}), httpapi.Options{})
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/fine", nil))
			if level == slog.LevelInfo && logs.String() != "" {
				t.Errorf("successful request logged at info level: %s", logs)
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/bad", nil))
			var errLine string
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, `"level":"ERROR"`) {
					errLine = line
				}
			}
			if !strings.Contains(errLine, "502") {
				t.Errorf("5xx not logged at error level with its status; log: %s", logs)
			}
		})
	}
}

func TestChainWithTracing(t *testing.T) {
	h := httpapi.Chain(testApp(), httpapi.Options{Name: "parties", Tracing: true})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ok", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "success") {
		t.Errorf("status %d body %s", rec.Code, rec.Body)
	}
	checkSecurityHeaders(t, rec.Header(), false)
}

// A query string that does not parse is a 400 naming the query, never a
// silently shortened query.
func TestChainRefusesQueriesThatDoNotParse(t *testing.T) {
	h := httpapi.Chain(testApp(), httpapi.Options{Name: "test"})
	tests := []struct {
		name, query string
		status      int
		code        string
	}{
		{"plain", "a=1&b=two%20words&c=x+y", http.StatusOK, ""},
		{"escaped name", "%63onference=democon", http.StatusOK, ""},
		{"semicolon separator", "limit=1;x", http.StatusBadRequest, "format"},
		{"broken escape", "a=%zz", http.StatusBadRequest, "format"},
		{"escape cut short", "a=%2", http.StatusBadRequest, "format"},
		{"lone percent at the end", "a=%", http.StatusBadRequest, "format"},
		{"too many parameters", strings.Repeat("junk=1&", 10_000) + "include=cancelled", http.StatusBadRequest, "too_many"},
		{"as many as allowed", strings.TrimSuffix(strings.Repeat("a=1&", 256), "&"), http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/ok?"+tc.query, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.code != "" {
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q", ct)
				}
				if !strings.Contains(rec.Body.String(), `"field":"query","code":"`+tc.code+`"`) {
					t.Errorf("the problem does not name the query with %s: %s", tc.code, rec.Body)
				}
			}
		})
	}
}

// A secret in a path (a personal calendar token, a share code) reaches
// neither the span's name and attributes nor the logs, whether a route
// matched the request or not: a preflight, a wrong method, an untidy path
// and a path that names nothing are traced and logged as well.
func TestSecretsInPathsStayOutOfTracesAndLogs(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	old := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(old) })

	const secret = "k3Q9zSecretToken"
	const origin = "https://app.example"
	rt := httpapi.NewRouter()
	rt.Handle("GET", "/api/calendar/u/{file}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.Error(w, r, errors.New("the store broke"))
	})
	rt.Handle("GET", "/api/shares/{code}", func(w http.ResponseWriter, r *http.Request) {})
	h := httpapi.Chain(rt, httpapi.Options{Name: "calendar", Tracing: true, CORS: httpapi.NewCORS([]string{origin})})
	tests := []struct {
		name, method, path string
		status             int
		route              string // what the span and the logs name
	}{
		{"a matched route that fails", "GET", "/api/calendar/u/" + secret + ".ics", 500, "/api/calendar/u/{file}"},
		{"a preflight", "OPTIONS", "/api/calendar/u/" + secret + ".ics", 204, "/api/calendar/u/{file}"},
		{"a wrong method", "PUT", "/api/calendar/u/" + secret + ".ics", 405, "/api/calendar/u/{file}"},
		{"a wrong method on a share", "DELETE", "/api/shares/" + secret, 405, "/api/shares/{code}"},
		{"an untidy path", "GET", "/api/calendar/u//" + secret + ".ics", 307, "/api/calendar/u/{file}"},
		{"an untidy path that names nothing", "GET", "/api//calendar/" + secret, 404, "/api//calendar/{redacted}"},
		{"a path that names nothing", "GET", "/api/calendar/" + secret + "/x", 404, "/api/calendar/{redacted}/{redacted}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spans.Reset()
			logs := captureLogs(t, slog.LevelDebug)
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.Header.Set("Origin", origin)
			if tc.method == "OPTIONS" {
				req.Header.Set("Access-Control-Request-Method", "GET")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			ended := spans.Ended()
			if len(ended) != 1 {
				t.Fatalf("%d spans, want 1", len(ended))
			}
			s := ended[0]
			if strings.Contains(s.Name(), secret) {
				t.Errorf("span name %q holds the secret", s.Name())
			}
			var path string
			for _, a := range s.Attributes() {
				if strings.Contains(a.Value.Emit(), secret) {
					t.Errorf("span attribute %s = %q holds the secret", a.Key, a.Value.Emit())
				}
				if a.Key == "url.path" {
					path = a.Value.AsString()
				}
			}
			if path != tc.route {
				t.Errorf("span url.path %q, want %q", path, tc.route)
			}
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the logs hold the secret: %s", logs)
			}
			if !strings.Contains(logs.String(), tc.route) {
				t.Errorf("the logs do not name %s: %s", tc.route, logs)
			}
		})
	}
}

// With tracing off (exporter none) a caller's trace id still reaches the
// log lines of its request.
func TestTraceIDsReachLogsWithoutTracing(t *testing.T) {
	old := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTextMapPropagator(old) })
	var buf bytes.Buffer
	oldLog := slog.Default()
	slog.SetDefault(telemetry.NewLogger(&buf, slog.LevelInfo, "demo-party"))
	t.Cleanup(func() { slog.SetDefault(oldLog) })

	h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slog.InfoContext(r.Context(), "handled")
	}), httpapi.Options{Name: "test"})
	r := httptest.NewRequest("GET", "/ok", nil)
	r.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), r)
	line := buf.String()
	for _, want := range []string{
		`"logging.googleapis.com/trace":"projects/demo-party/traces/4bf92f3577b34da6a3ce929d0e0e4736"`,
		`"logging.googleapis.com/spanId":"00f067aa0ba902b7"`,
		`"logging.googleapis.com/trace_sampled":true`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}
}

// Behind an outer ServeMux (the local runner's), whose catch-all pattern
// "/" otelhttp would name the span after, the span still names the route.
func TestSpanNamesTheRouteBehindAnOuterMux(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	old := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(old) })
	rt := httpapi.NewRouter()
	rt.Handle("POST", "/api/swipe", func(w http.ResponseWriter, r *http.Request) {})
	rt.Handle("GET", "/api/parties/{id}", func(w http.ResponseWriter, r *http.Request) {})
	outer := http.NewServeMux()
	outer.Handle("/", httpapi.Chain(rt, httpapi.Options{Name: "fn", Tracing: true}))
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/api/swipe", "POST /api/swipe"},
		{"GET", "/api/parties/p1", "GET /api/parties/{id}"},
	} {
		outer.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		ended := spans.Ended()
		if got := ended[len(ended)-1].Name(); got != tc.want {
			t.Errorf("%s %s: span %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// A route given longer than the server gives a request (an import's
// minutes against the runner's write timeout) is answered, not cut off:
// the chain extends the connection's deadlines to the route's own.
func TestChainLongRouteOutlivesServerTimeouts(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(1500 * time.Millisecond) // past the server's write timeout
		w.Write([]byte("done"))
	})
	srv := httptest.NewUnstartedServer(httpapi.Chain(slow, httpapi.Options{Name: "t", Timeout: 4 * time.Minute}))
	srv.Config.WriteTimeout = time.Second
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("a 4-minute route cut off by the server's 1 s write timeout: %v", err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(b) != "done" {
		t.Errorf("status %d, body %q", resp.StatusCode, b)
	}
}
