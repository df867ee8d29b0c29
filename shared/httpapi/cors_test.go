package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

var (
	prodOrigins    = []string{"https://partyfinder.web.app", "https://partyfinder--*.web.app"}
	devOrigins     = []string{"http://localhost:*"}
	messyOrigins   = []string{" https://partyfinder.web.app/ ", "", "  "}
	previewOrigins = []string{"https://partyfinder--*.web.app"}
)

func TestCORSAllowed(t *testing.T) {
	tests := []struct {
		name    string
		list    []string
		origin  string
		allowed bool
	}{
		{"exact", prodOrigins, "https://partyfinder.web.app", true},
		{"exact, other scheme", prodOrigins, "http://partyfinder.web.app", false},
		{"exact, other port", prodOrigins, "https://partyfinder.web.app:8443", false},
		{"exact as prefix of a longer host", prodOrigins, "https://partyfinder.web.app.evil.com", false},
		{"exact, trailing slash", prodOrigins, "https://partyfinder.web.app/", false},
		{"preview channel", previewOrigins, "https://partyfinder--pr12-abc.web.app", true},
		{"preview channel via full list", prodOrigins, "https://partyfinder--x.web.app", true},
		{"preview, empty label", previewOrigins, "https://partyfinder--.web.app", false},
		{"preview as path of evil origin", previewOrigins, "https://evil.com/https://partyfinder--x.web.app", false},
		{"preview, two labels", previewOrigins, "https://partyfinder--a.b.web.app", false},
		{"preview, plain http", previewOrigins, "http://partyfinder--x.web.app", false},
		{"preview, userinfo", previewOrigins, "https://partyfinder--x@evil.com.web.app", false},
		{"preview, port inside label", previewOrigins, "https://partyfinder--x:1.web.app", false},
		{"preview, other suffix", previewOrigins, "https://partyfinder--x.web.app.evil.com", false},
		{"preview, other project", previewOrigins, "https://otherproject--x.web.app", false},
		{"localhost port", devOrigins, "http://localhost:5173", true},
		{"localhost other port", devOrigins, "http://localhost:8080", true},
		{"localhost look-alike host", devOrigins, "http://localhost.evil.com:5173", false},
		{"localhost without port", devOrigins, "http://localhost", false},
		{"localhost https", devOrigins, "https://localhost:5173", false},
		{"localhost port then path", devOrigins, "http://localhost:5173/x", false},
		{"config trimmed", messyOrigins, "https://partyfinder.web.app", true},
		{"empty origin", prodOrigins, "", false},
		{"null origin", prodOrigins, "null", false},
		{"empty list", nil, "https://partyfinder.web.app", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpapi.NewCORS(tt.list).Allowed(tt.origin); got != tt.allowed {
				t.Errorf("NewCORS(%q).Allowed(%q) = %v, want %v", tt.list, tt.origin, got, tt.allowed)
			}
		})
	}
	var none *httpapi.CORS
	if none.Allowed("https://partyfinder.web.app") {
		t.Errorf("a nil CORS allows an origin")
	}
}

func TestCORSHeaders(t *testing.T) {
	cors := httpapi.NewCORS(append(append([]string{}, prodOrigins...), devOrigins...))
	tests := []struct {
		name, method, origin string
		cors                 *httpapi.CORS
		wantStatus           int
		allowed              bool
	}{
		{"get, allowed", "GET", "https://partyfinder.web.app", cors, 200, true},
		{"get, allowed preview", "GET", "https://partyfinder--pr12-abc.web.app", cors, 200, true},
		{"get, disallowed", "GET", "https://evil.com", cors, 200, false},
		{"get, no origin", "GET", "", cors, 200, false},
		{"get, no CORS configured", "GET", "https://partyfinder.web.app", nil, 200, false},
		{"post, allowed", "POST", "http://localhost:5173", cors, 200, true},
		{"preflight, allowed", "OPTIONS", "http://localhost:5173", cors, 204, true},
		{"preflight, disallowed", "OPTIONS", "http://localhost.evil.com:5173", cors, 204, false},
		{"preflight, no origin", "OPTIONS", "", cors, 204, false},
		{"preflight, no CORS configured", "OPTIONS", "https://partyfinder.web.app", nil, 204, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reached bool
			rt := httpapi.NewRouter()
			for _, m := range []string{"GET", "POST"} {
				rt.Handle(m, "/api/parties", func(w http.ResponseWriter, r *http.Request) { reached = true })
			}
			h := httpapi.Chain(rt, httpapi.Options{CORS: tt.cors})
			req := httptest.NewRequest(tt.method, "/api/parties", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
				if tt.method == "OPTIONS" {
					req.Header.Set("Access-Control-Request-Method", "GET")
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			hd := rec.Header()
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if reached == (tt.method == "OPTIONS") {
				t.Errorf("handler reached = %v for %s", reached, tt.method)
			}
			if got := hd.Get("Access-Control-Allow-Origin"); tt.allowed && got != tt.origin || !tt.allowed && got != "" {
				t.Errorf("Access-Control-Allow-Origin = %q, allowed = %v", got, tt.allowed)
			}
			if got := hd.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q, want none", got)
			}
			// Caches must key on Origin whenever the answer depends on it.
			if tt.allowed && !hasToken(hd.Values("Vary"), "Origin") {
				t.Errorf("Vary = %q, want Origin", hd.Values("Vary"))
			}
			// What a client reads to write conditionally, follow a
			// creation, back off and pace itself.
			if tt.allowed && tt.method != "OPTIONS" {
				for _, k := range []string{"ETag", "Location", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id"} {
					if !hasToken(hd.Values("Access-Control-Expose-Headers"), k) {
						t.Errorf("Access-Control-Expose-Headers = %q lacks %s", hd.Values("Access-Control-Expose-Headers"), k)
					}
				}
			}
			preflight := tt.method == "OPTIONS" && tt.allowed
			for _, k := range []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"} {
				if (hd.Get(k) != "") != preflight {
					t.Errorf("%s = %q, want present = %v", k, hd.Get(k), preflight)
				}
			}
			if preflight {
				methods := headerTokens(hd.Values("Access-Control-Allow-Methods"))
				for _, m := range []string{"GET", "POST", "OPTIONS"} {
					if !hasToken(methods, m) {
						t.Errorf("Access-Control-Allow-Methods = %v lacks %s", methods, m)
					}
				}
				for _, k := range []string{"Authorization", "Content-Type", "If-None-Match", "If-Match", "Idempotency-Key", "X-Request-Id"} {
					if !hasToken(hd.Values("Access-Control-Allow-Headers"), k) {
						t.Errorf("Access-Control-Allow-Headers = %q lacks %s", hd.Values("Access-Control-Allow-Headers"), k)
					}
				}
			}
		})
	}
}

func TestCORSWithCachedResponse(t *testing.T) {
	resp := rendered.New("application/json", "public, max-age=60", jsonBody(4000))
	h := httpapi.Chain(http.HandlerFunc(resp.Serve), httpapi.Options{CORS: httpapi.NewCORS(prodOrigins)})
	for _, ifNoneMatch := range []string{"", resp.GzipETag} {
		req := httptest.NewRequest("GET", "/api/parties", nil)
		req.Header.Set("Origin", "https://partyfinder.web.app")
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("If-None-Match", ifNoneMatch)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := headerTokens(rec.Header().Values("Vary")); !sameSet(got, []string{"Origin", "Accept-Encoding"}) {
			t.Errorf("status %d: Vary = %v, want Origin and Accept-Encoding", rec.Code, got)
		}
		if rec.Header().Get("Access-Control-Allow-Origin") != "https://partyfinder.web.app" {
			t.Errorf("status %d: no Access-Control-Allow-Origin", rec.Code)
		}
	}
}

// Every answer of a CORS-enabled function says it varies by Origin, with
// an Origin or without, so a shared cache keeps the variants apart.
func TestCORSVaryAlways(t *testing.T) {
	big := rendered.New("application/json", "public, max-age=60, s-maxage=300", jsonBody(4000))
	small := rendered.New("application/json", "public, max-age=60, s-maxage=300", []byte(`{"success":true}`))
	rt := httpapi.NewRouter()
	rt.Handle("GET", "/big", big.Serve)
	rt.Handle("GET", "/small", small.Serve)
	h := httpapi.Chain(rt, httpapi.Options{Name: "test", CORS: httpapi.NewCORS([]string{"https://app.example"})})
	for _, tc := range []struct {
		path, origin string
		want         []string
	}{
		{"/small", "", []string{"Origin"}},
		{"/small", "https://app.example", []string{"Origin"}},
		{"/big", "", []string{"Origin", "Accept-Encoding"}},
		{"/big", "https://other.example", []string{"Origin", "Accept-Encoding"}},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := headerTokens(rec.Header().Values("Vary")); !slices.Equal(got, tc.want) {
			t.Errorf("GET %s (Origin %q): Vary %q, want %q", tc.path, tc.origin, got, tc.want)
		}
	}
}
