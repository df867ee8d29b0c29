package main

import (
	"fmt"
	"net/http"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/hosting"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// loadRewrites reads the hosting rewrites from firebase.json: the one place
// that says which path is served by which function, in production and here.
func loadRewrites(path string) ([]hosting.Rewrite, error) {
	return hosting.Load(path, partyfinder.FunctionNames())
}

// router dispatches like Firebase Hosting: the first rewrite whose glob
// matches the path wins.
type router struct {
	table    *hosting.Table
	handlers []http.Handler // by the table's index
	notFound http.Handler
}

func newRouter(rewrites []hosting.Rewrite, a *partyfinder.App) (http.Handler, error) {
	rt := &router{table: hosting.NewTable(rewrites), notFound: a.Chain("notFound", http.HandlerFunc(httpapi.NotFound))}
	for _, rw := range rewrites {
		h := a.Handler(rw.Function)
		if h == nil {
			return nil, fmt.Errorf("firebase.json rewrites %s to unknown function %q", rw.Source, rw.Function)
		}
		rt.handlers = append(rt.handlers, h)
	}
	return rt, nil
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if i, ok := rt.table.Route(r.URL.Path); ok {
		rt.handlers[i].ServeHTTP(w, r)
		return
	}
	rt.notFound.ServeHTTP(w, r)
}
