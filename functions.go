// Package partyfinder is the Cloud Run functions entry point: it registers
// every HTTP function with the Functions Framework. The Go buildpack deploys
// this root package; each function is deployed with --entry-point NAME.
// Handlers build their dependencies lazily on the first request, from the
// environment (see shared/app), so a cold start opens only what it needs.
package partyfinder

import (
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/partyfinder/partyfinder/shared/app"
)

var lazy = &app.Lazy{Getenv: os.Getenv}

func init() {
	functions.HTTP(app.FnParties, lazy.Handler(app.FnParties))
	functions.HTTP(app.FnConferences, lazy.Handler(app.FnConferences))
	functions.HTTP(app.FnPartyDays, lazy.Handler(app.FnPartyDays))
	functions.HTTP(app.FnCalendar, lazy.Handler(app.FnCalendar))
	functions.HTTP(app.FnHealth, lazy.Handler(app.FnHealth))
	functions.HTTP(app.FnOpenAPI, lazy.Handler(app.FnOpenAPI))
	functions.HTTP(app.FnSwipe, lazy.Handler(app.FnSwipe))
	functions.HTTP(app.FnMe, lazy.Handler(app.FnMe))
}
