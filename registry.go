// Package partyfinder is the Cloud Run functions entry point and the one
// place the application is wired together: it reads the configuration,
// opens the store and builds each function's handler from the use cases,
// read models and adapters in shared/.
//
// Each deployable function has a file of its own here, named after it
// (parties.go, swipe.go, onpartywritten.go, …), whose init registers it:
// its name, its paths and how it is built from the shared parts
// (parts.go). The Go buildpack deploys this root package; the deploy
// uploads, for each function, the core files and that function's file
// alone (scripts/build-function), so a deployed binary links only what
// its function uses. The local runner (scripts/partyfinder) builds the
// whole package and serves every function.
package partyfinder

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	cloudevent "github.com/cloudevents/sdk-go/v2/event"
)

// Function is one deployable HTTP function: its name, where its resources
// live behind Firebase Hosting (a function called on its own URL sees paths
// relative to it; they are mounted here so both ways work), and how it is
// built from the parts it needs.
type Function struct {
	Name string
	Base string
	// SLO names the service level objective its requests count against
	// (docs/slo); none when empty.
	SLO string
	// MaxBody and Timeout replace the edge's defaults (httpapi.Options)
	// when set.
	MaxBody int64
	Timeout time.Duration
	build   func(a *app) http.Handler
}

// CloudEventHandler is what a trigger function does with one CloudEvent.
type CloudEventHandler func(ctx context.Context, e cloudevent.Event) error

// Trigger is one deployable CloudEvent function (a Pub/Sub or Firestore
// trigger) and how it is built.
type Trigger struct {
	Name string
	// Documents are the Firestore document patterns a Firestore trigger
	// listens to (google.cloud.firestore.document.v1.written); none for a
	// Pub/Sub trigger.
	Documents []string
	// Scheduled marks a Pub/Sub trigger of the schedule topic
	// (Config.SyncTopic, which Cloud Scheduler publishes to) rather than of
	// the events topic.
	Scheduled bool
	build     func(a *app) CloudEventHandler
}

// Functions and Triggers list what this build registered, by name: every
// function in a whole build, one in a function's own.
var (
	Functions []Function
	Triggers  []Trigger
)

var lazy = &Lazy{Getenv: os.Getenv}

// registerFunction adds f to Functions and registers it with the
// Functions Framework, in the order of the files (Go runs a package's
// inits by file name). Its handler builds the App on the first request,
// from the environment, so a cold start opens only what its function
// needs.
func registerFunction(f Function) {
	Functions = append(Functions, f)
	functions.HTTP(f.Name, lazy.Handler(f.Name))
}

// registerTrigger adds t to Triggers and registers it with the Functions
// Framework.
func registerTrigger(t Trigger) {
	Triggers = append(Triggers, t)
	functions.CloudEvent(t.Name, lazy.CloudEvent(t.Name))
}

// FunctionNames lists every HTTP function's name.
func FunctionNames() []string {
	names := make([]string, len(Functions))
	for i, f := range Functions {
		names[i] = f.Name
	}
	return names
}

// function and trigger look a name up. They are loops, not slices
// functions: a generic function's type dictionary would make the linker
// keep every method the wiring's parts have (see registerFunction).
func function(name string) (Function, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

func trigger(name string) (Trigger, bool) {
	for _, t := range Triggers {
		if t.Name == name {
			return t, true
		}
	}
	return Trigger{}, false
}
