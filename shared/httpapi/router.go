package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// Router dispatches requests by method and path pattern (net/http
// ServeMux patterns) and answers unknown paths with 404 and wrong methods
// with 405 and an Allow header, both as problem details. OPTIONS on a known
// path answers 204 with the path's Allow list.
type Router struct {
	mux     *http.ServeMux
	methods []string
	static  map[string]http.HandlerFunc // "METHOD /path" of routes without wildcards
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{mux: http.NewServeMux(), static: map[string]http.HandlerFunc{}}
}

// Handle registers h for method and path, e.g. Handle("GET", "/api/parties/{id}", h).
// GET routes answer HEAD too.
func (rt *Router) Handle(method, path string, h http.HandlerFunc) {
	rt.mux.HandleFunc(method+" "+path, h)
	learnLiterals(path)
	if !strings.Contains(path, "{") {
		rt.static[method+" "+path] = h
	}
	if !slices.Contains(rt.methods, method) {
		rt.methods = append(rt.methods, method)
	}
}

// ServeHTTP implements http.Handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Path) > 1 && strings.HasSuffix(r.URL.Path, "/") {
		r.URL.Path = strings.TrimRight(r.URL.Path, "/")
	}
	// Fixed paths (the feed among them) skip pattern matching.
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if h, ok := rt.static[method+" "+r.URL.Path]; ok {
		matched(r, r.Method, r.URL.Path)
		h(w, r)
		return
	}
	if r.Method != http.MethodOptions {
		if _, pattern := rt.mux.Handler(r); pattern != "" {
			_, template, _ := strings.Cut(pattern, " ")
			matched(r, r.Method, template)
			rt.mux.ServeHTTP(w, r) // sets the path values that Handler does not
			return
		}
	}
	var allow []string
	probe := r.Clone(r.Context())
	for _, m := range rt.methods {
		probe.Method = m
		if _, pattern := rt.mux.Handler(probe); pattern != "" {
			if len(allow) == 0 {
				// The path is a route's, the method is not: logs and
				// spans name the route, as for a request it serves.
				_, template, _ := strings.Cut(pattern, " ")
				matched(r, r.Method, template)
			}
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) == 0 {
		NotFound(w, r)
		return
	}
	allow = append(allow, http.MethodOptions)
	w.Header().Set("Allow", strings.Join(allow, ", "))
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	Error(w, r, &apperr.Error{Kind: methodNotAllowed, Message: "method " + r.Method + " is not allowed here; allowed: " + strings.Join(allow, ", ")})
}

// methodNotAllowed is an HTTP-only kind: it never leaves this package's routing.
const methodNotAllowed apperr.Kind = "method_not_allowed"

// NotFound answers a path that names no resource with a 404 problem.
func NotFound(w http.ResponseWriter, r *http.Request) {
	Error(w, r, apperr.New(apperr.NotFound, "no such resource: %s", clip(r.URL.Path, maxEcho)))
}
