package main

import (
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		{"/api/parties", "/api/parties", true},
		{"/api/parties", "/api/parties/x", false},
		{"/api/parties/**", "/api/parties/x", true},
		{"/api/parties/**", "/api/parties/x/calendar.ics", true},
		{"/api/parties/**", "/api/partiesx", false},
		{"/api/*/calendar.ics", "/api/x/calendar.ics", true},
		{"/api/*/calendar.ics", "/api/x/y/calendar.ics", false},
		{"/api/health", "/api/healthz", false},
	}
	for _, tt := range tests {
		if got := globMatch(splitPath(tt.glob), splitPath(tt.path)); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.glob, tt.path, got, tt.want)
		}
	}
}

// firebase.json is the one source of truth for which path reaches which
// function: every rewrite must name a registered function and every
// function must be reachable.
func TestFirebaseRewritesCoverEveryFunction(t *testing.T) {
	rewrites, err := loadRewrites("../../firebase.json")
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	for _, rw := range rewrites {
		if !slices.Contains(partyfinder.FunctionNames(), rw.Function) {
			t.Errorf("rewrite %s names unknown function %q", rw.Source, rw.Function)
		}
		named = append(named, rw.Function)
	}
	for _, fn := range partyfinder.FunctionNames() {
		if !slices.Contains(named, fn) {
			t.Errorf("function %q has no hosting rewrite in firebase.json", fn)
		}
	}
}
