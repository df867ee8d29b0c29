// Package partyfinder is the Cloud Run functions entry point and the one
// place the application is wired together: it reads the configuration,
// opens the store and builds each function's handler from the use cases,
// read models and adapters in shared/. The Go buildpack deploys this root
// package; each function is deployed with --entry-point NAME. The local
// runner (scripts/partyfinder) serves the same wiring.
package partyfinder

import (
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
)

var lazy = &Lazy{Getenv: os.Getenv}

// init only registers: handlers build their dependencies on the first
// request, from the environment, so a cold start opens only what its
// function needs.
func init() {
	for _, f := range Functions {
		functions.HTTP(f.Name, lazy.Handler(f.Name))
	}
	for _, t := range Triggers {
		functions.CloudEvent(t.Name, lazy.CloudEvent(t.Name))
	}
}
