// Package openapi is the "openapi" function: it serves the API contract.
//
//	GET /api/openapi.yaml
package openapi

import (
	_ "embed"
	"net/http"
	"sync"

	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// Spec is the OpenAPI 3.1 document describing every endpoint.
//
//go:embed openapi.yaml
var Spec []byte

// specResponse is built on first use, not at package init: gzipping the
// spec costs about 9 ms, which every cold start of every function paid.
var specResponse = sync.OnceValue(func() *rendered.Response {
	return rendered.New("application/yaml; charset=utf-8", feed.CacheStatic, Spec)
})

// Routes returns the function's router.
func Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		specResponse().Serve(w, r)
	})
	return rt
}
