package httpapi

import (
	"net/http"
	"strings"
)

// CORS allows cross-origin requests from an allow-list of origins.
//
// It is written here rather than taken from github.com/rs/cors for three
// reasons: a "*" in a pattern stands for exactly one DNS label or a port
// (rs/cors lets it match any run of characters, dots included, so
// "https://partyfinder--*.web.app" would also admit
// "https://partyfinder--x.attacker.web.app"); a preflight is answered by
// the router with the path's own Allow list, and 404 for a path that
// names nothing, rather than by the middleware for every path; and the
// headers of the hot path are shared, preallocated slices.
//
// A pattern is an exact origin ("https://partyfinder.web.app") or one with a single "*"
// standing for one DNS label or a port ("https://partyfinder--*.web.app",
// "http://localhost:*").
type CORS struct {
	exact    map[string]bool
	patterns [][2]string // prefix, suffix around the "*"
}

// NewCORS compiles an allow-list. An empty list allows no cross-origin access.
func NewCORS(origins []string) *CORS {
	c := &CORS{exact: map[string]bool{}}
	for _, o := range origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		if pre, suf, ok := strings.Cut(o, "*"); ok {
			c.patterns = append(c.patterns, [2]string{pre, suf})
		} else {
			c.exact[o] = true
		}
	}
	return c
}

// Allowed reports whether a request from origin may read responses.
func (c *CORS) Allowed(origin string) bool {
	if c == nil || origin == "" {
		return false
	}
	if c.exact[origin] {
		return true
	}
	for _, p := range c.patterns {
		if len(origin) <= len(p[0])+len(p[1]) || !strings.HasPrefix(origin, p[0]) || !strings.HasSuffix(origin, p[1]) {
			continue
		}
		mid := origin[len(p[0]) : len(origin)-len(p[1])]
		if !strings.ContainsAny(mid, "/.:@?#") {
			return true
		}
	}
	return false
}

var (
	hVaryOrigin     = "Origin"
	hVaryOriginOnly = []string{hVaryOrigin} // shared: an append copies it (len == cap)
	hAllowMethods   = headerList("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
	// The request headers the contract's operations read: conditional
	// reads and writes (If-None-Match, If-Match) and retried writes
	// (Idempotency-Key) included, or a browser on another origin could not
	// send them.
	hAllowHeaders = headerList("Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "X-Request-Id")
	// The response headers a client acts on: the version to send back,
	// where a created resource is, when to retry, how much budget is left.
	hExpose = headerList("ETag", "Location", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id")
	hMaxAge = []string{"600"}
)

// wrap marks responses readable by allowed origins and adds the preflight
// headers to their OPTIONS requests; the router answers OPTIONS itself, with
// the path's own Allow list.
func (c *CORS) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		// Every answer says it varies by Origin, also one to a request
		// without: a shared cache that stored it for no Origin must not
		// hand it to a browser page that needs Access-Control-Allow-Origin.
		if c != nil {
			if v := h["Vary"]; v == nil {
				h["Vary"] = hVaryOriginOnly
			} else {
				h["Vary"] = append(v, hVaryOrigin)
			}
		}
		allowed := c.Allowed(origin)
		if allowed {
			h["Access-Control-Allow-Origin"] = []string{origin}
			h["Access-Control-Expose-Headers"] = hExpose
		}
		if r.Method == http.MethodOptions && allowed {
			h["Access-Control-Allow-Methods"] = hAllowMethods
			h["Access-Control-Allow-Headers"] = hAllowHeaders
			h["Access-Control-Max-Age"] = hMaxAge
		}
		next.ServeHTTP(w, r)
	})
}
