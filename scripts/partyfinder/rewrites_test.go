package main

import (
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder"
)

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
