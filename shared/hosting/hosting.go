// Package hosting reads Firebase Hosting's rewrites from firebase.json and
// matches request paths against them as Hosting does: the one place that
// says which path is served by which function, for the local runner and
// for the tests that put the deployed functions behind a stand-in for
// Hosting.
package hosting

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Rewrite is one Firebase Hosting rewrite to a function.
type Rewrite struct {
	Source   string // the glob, e.g. /api/parties/**
	Function string // the function's registered name
}

// Matches reports whether path is one the rewrite's glob covers.
func (r Rewrite) Matches(path string) bool {
	return globMatch(splitPath(r.Source), splitPath(path))
}

// Load reads the hosting rewrites to functions from the firebase.json at
// path, in their order. A Cloud Run rewrite names its service, which is
// its function's name in lower case (scripts/deploy names them so); names
// are the registered function names, so a serviceId that equals one of
// them but for case is given that name. Rewrites to anything else than a
// function (static destinations) are left out.
func Load(path string, names []string) ([]Rewrite, error) {
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
	var out []Rewrite
	for _, r := range cfg.Hosting.Rewrites {
		if r.Run != nil {
			name := r.Run.ServiceID
			for _, fn := range names {
				if strings.EqualFold(fn, r.Run.ServiceID) {
					name = fn
				}
			}
			out = append(out, Rewrite{Source: r.Source, Function: name})
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
		out = append(out, Rewrite{Source: r.Source, Function: name})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no hosting rewrites to functions", path)
	}
	return out, nil
}

// Table is a list of rewrites prepared for matching, in Hosting's order.
type Table struct {
	rewrites []Rewrite
	globs    [][]string
}

// NewTable prepares rewrites for Route.
func NewTable(rewrites []Rewrite) *Table {
	t := &Table{rewrites: rewrites}
	for _, rw := range rewrites {
		t.globs = append(t.globs, splitPath(rw.Source))
	}
	return t
}

// Route returns the index of the rewrite serving path: the first whose
// glob matches, as Hosting picks it. ok is false when no rewrite covers
// the path (Hosting then serves its static files).
func (t *Table) Route(path string) (i int, ok bool) {
	segs := splitPath(path)
	for i, g := range t.globs {
		if globMatch(g, segs) {
			return i, true
		}
	}
	return -1, false
}

// Rewrites returns the table's rewrites, in order.
func (t *Table) Rewrites() []Rewrite { return t.rewrites }

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
