package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/partyfinder/partyfinder/shared/httpapi"
)

func newTestRouter() *httpapi.Router {
	rt := httpapi.NewRouter()
	answer := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Route", name)
			fmt.Fprintf(w, "%s id=%s", name, r.PathValue("id"))
		}
	}
	rt.Handle(http.MethodGet, "/api/parties", answer("list"))
	rt.Handle(http.MethodPost, "/api/parties", answer("create"))
	rt.Handle(http.MethodGet, "/api/parties/{id}", answer("get"))
	rt.Handle(http.MethodDelete, "/api/parties/{id}", answer("delete"))
	rt.Handle(http.MethodPost, "/api/swipes", answer("swipe"))
	return rt
}

func TestRouterDispatch(t *testing.T) {
	tests := []struct {
		name, method, path string
		wantRoute          string // X-Route set by the handler
		wantBody           string // checked unless empty
	}{
		{"get list", "GET", "/api/parties", "list", "list id="},
		{"head answers like get", "HEAD", "/api/parties", "list", ""},
		{"post", "POST", "/api/parties", "create", "create id="},
		{"trailing slash", "GET", "/api/parties/", "list", "list id="},
		{"several trailing slashes", "GET", "/api/parties//", "list", "list id="},
		{"path value", "GET", "/api/parties/gamescom2025-abc_1", "get", "get id=gamescom2025-abc_1"},
		{"path value with trailing slash", "GET", "/api/parties/abc/", "get", "get id=abc"},
		{"head with path value", "HEAD", "/api/parties/abc", "get", ""},
		{"delete with path value", "DELETE", "/api/parties/abc", "delete", "delete id=abc"},
		{"query string ignored", "GET", "/api/parties?date=2025-08-20", "list", "list id="},
	}
	rt := newTestRouter()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("X-Route"); got != tt.wantRoute {
				t.Errorf("route = %q, want %q", got, tt.wantRoute)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
		})
	}
}

func TestRouterNotFound(t *testing.T) {
	rt := newTestRouter()
	for _, path := range []string{"/", "/nope", "/api", "/api/parties/abc/extra", "/api/partiesx"} {
		t.Run(path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			p := decodeProblem(t, rec, http.StatusNotFound)
			if *p.Code != "not_found" || *p.Type != "urn:partyfinder:problem:not_found" || *p.Title != "Not Found" {
				t.Errorf("problem = code %q type %q title %q", *p.Code, *p.Type, *p.Title)
			}
			if rec.Header().Get("Allow") != "" {
				t.Errorf("404 carries Allow %q", rec.Header().Get("Allow"))
			}
		})
	}
}

func TestRouterMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method, path string
		wantAllow    []string
	}{
		{"PUT", "/api/parties", []string{"GET", "HEAD", "POST", "OPTIONS"}},
		{"DELETE", "/api/parties", []string{"GET", "HEAD", "POST", "OPTIONS"}},
		{"PATCH", "/api/parties/abc", []string{"GET", "HEAD", "DELETE", "OPTIONS"}},
		{"POST", "/api/parties/abc/", []string{"GET", "HEAD", "DELETE", "OPTIONS"}},
		{"GET", "/api/swipes", []string{"POST", "OPTIONS"}},
		{"HEAD", "/api/swipes", []string{"POST", "OPTIONS"}},
	}
	rt := newTestRouter()
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if tt.method == "HEAD" {
				// A HEAD answer has no body to decode; status and Allow are what count.
				if rec.Code != http.StatusMethodNotAllowed {
					t.Fatalf("status = %d, want 405", rec.Code)
				}
			} else {
				p := decodeProblem(t, rec, http.StatusMethodNotAllowed)
				if *p.Code != "method_not_allowed" || *p.Title != "Method Not Allowed" {
					t.Errorf("problem = code %q title %q", *p.Code, *p.Title)
				}
			}
			if got := headerTokens(rec.Header().Values("Allow")); !sameSet(got, tt.wantAllow) {
				t.Errorf("Allow = %v, want %v", got, tt.wantAllow)
			}
		})
	}
}

// Path values reach the handler for every method, HEAD included (its body
// is not recorded, so the value is captured directly).
func TestRouterPathValues(t *testing.T) {
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/api/parties/gamescom2025-abc_1", "gamescom2025-abc_1"},
		{"GET", "/api/parties/abc/", "abc"},
		{"HEAD", "/api/parties/abc", "abc"},
		{"DELETE", "/api/parties/abc", "abc"},
		{"GET", "/api/parties/K%C3%B6ln", "Köln"},
	} {
		rt := httpapi.NewRouter()
		got := "(handler not called)"
		h := func(w http.ResponseWriter, r *http.Request) { got = r.PathValue("id") }
		rt.Handle("GET", "/api/parties/{id}", h)
		rt.Handle("DELETE", "/api/parties/{id}", h)
		rt.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, tt.path, nil))
		if got != tt.want {
			t.Errorf("%s %s: PathValue(id) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestRouterOptionsListsThePathsMethods(t *testing.T) {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/parties/{id}", func(w http.ResponseWriter, r *http.Request) {})
	rt.Handle(http.MethodDelete, "/api/parties/{id}", func(w http.ResponseWriter, r *http.Request) {})
	tests := []struct {
		path      string
		wantCode  int
		wantAllow string
	}{
		{"/api/parties/x", http.StatusNoContent, "GET, HEAD, DELETE, OPTIONS"},
		{"/api/nothing", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, tt.path, nil))
		if rec.Code != tt.wantCode || rec.Header().Get("Allow") != tt.wantAllow {
			t.Errorf("OPTIONS %s = %d Allow %q, want %d %q", tt.path, rec.Code, rec.Header().Get("Allow"), tt.wantCode, tt.wantAllow)
		}
	}
}
