package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// A path that is not clean is redirected through the middleware chain:
// the answer carries the security headers and a request id, which
// http.ServeMux's own redirect does not.
func TestUncleanPathsRedirectThroughTheChain(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("routed " + r.URL.Path)) })
	h := canonicalPaths(mux, httpapi.Chain(http.HandlerFunc(redirectToClean), httpapi.Options{Name: "redirect"}))
	tests := []struct {
		target   string
		status   int
		location string
	}{
		{"/api/parties?date=2026-08-20", http.StatusOK, ""},
		{"/api/parties/", http.StatusOK, ""},
		{"/api/./parties?date=2026-08-20", http.StatusPermanentRedirect, "/api/parties?date=2026-08-20"},
		{"//api/parties", http.StatusPermanentRedirect, "/api/parties"},
		{"/api/x/../parties/", http.StatusPermanentRedirect, "/api/parties/"},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
		if rec.Code != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.target, rec.Code, tc.status)
			continue
		}
		if tc.status != http.StatusPermanentRedirect {
			continue
		}
		h := rec.Header()
		if h.Get("Location") != tc.location || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Request-Id") == "" || rec.Body.Len() != 0 {
			t.Errorf("GET %s: Location %q, nosniff %q, request id %q, body %q", tc.target, h.Get("Location"), h.Get("X-Content-Type-Options"), h.Get("X-Request-Id"), rec.Body)
		}
	}
}
