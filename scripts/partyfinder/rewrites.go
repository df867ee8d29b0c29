package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/partyfinder/partyfinder"
)

// rewrite is one Firebase Hosting rewrite to a function.
type rewrite struct {
	Source   string
	Function string
}

// loadRewrites reads the hosting rewrites from firebase.json: the one place
// that says which path is served by which function, in production and here.
func loadRewrites(path string) ([]rewrite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read hosting rewrites (run from the repository root or pass --firebase): %w", err)
	}
	var cfg struct {
		Hosting struct {
			Rewrites []struct {
				Source   string          `json:"source"`
				Function json.RawMessage `json:"function"`
				Run      *struct {
					ServiceID string `json:"serviceId"`
				} `json:"run"`
			} `json:"rewrites"`
		} `json:"hosting"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var out []rewrite
	for _, r := range cfg.Hosting.Rewrites {
		if r.Run != nil {
			// A Cloud Run function's service is its name in lower case
			// (scripts/deploy names them so).
			name := r.Run.ServiceID
			for _, fn := range partyfinder.FunctionNames() {
				if strings.EqualFold(fn, r.Run.ServiceID) {
					name = fn
				}
			}
			out = append(out, rewrite{Source: r.Source, Function: name})
			continue
		}
		if len(r.Function) == 0 {
			continue
		}
		var name string
		if err := json.Unmarshal(r.Function, &name); err != nil {
			var fn struct {
				FunctionID string `json:"functionId"`
			}
			if err := json.Unmarshal(r.Function, &fn); err != nil {
				return nil, fmt.Errorf("%s: rewrite %s: bad function: %w", path, r.Source, err)
			}
			name = fn.FunctionID
		}
		out = append(out, rewrite{Source: r.Source, Function: name})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no hosting rewrites to functions", path)
	}
	return out, nil
}

// router dispatches like Firebase Hosting: the first rewrite whose glob
// matches the path wins.
type router struct {
	routes   []route
	notFound http.Handler
}

type route struct {
	glob    []string
	handler http.Handler
}

func newRouter(rewrites []rewrite, a *partyfinder.App) (http.Handler, error) {
	rt := &router{notFound: a.Chain("notFound", http.HandlerFunc(notFound))}
	for _, rw := range rewrites {
		h := a.Handler(rw.Function)
		if h == nil {
			return nil, fmt.Errorf("firebase.json rewrites %s to unknown function %q", rw.Source, rw.Function)
		}
		rt.routes = append(rt.routes, route{glob: splitPath(rw.Source), handler: h})
	}
	return rt, nil
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := splitPath(r.URL.Path)
	for _, ro := range rt.routes {
		if globMatch(ro.glob, path) {
			ro.handler.ServeHTTP(w, r)
			return
		}
	}
	rt.notFound.ServeHTTP(w, r)
}

func splitPath(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

// globMatch matches Firebase Hosting globs: "*" is one path segment, "**"
// any number of segments (including none).
func globMatch(glob, path []string) bool {
	for i, g := range glob {
		if g == "**" {
			for j := i; j <= len(path); j++ {
				if globMatch(glob[i+1:], path[j:]) {
					return true
				}
			}
			return false
		}
		if i >= len(path) || (g != "*" && g != path[i]) {
			return false
		}
	}
	return len(glob) == len(path)
}
