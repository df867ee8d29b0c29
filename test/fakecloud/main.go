// Command fakecloud stands in for gcloud and firebase (it answers as the
// one its name says) against a fake project kept in a JSON state file, so
// that scripts/deploy can be run end to end without Google Cloud. It
// enforces the server-side and client-side rules the deploy depends on,
// each commented with the gcloud or firebase-tools source (or the API's
// documented behaviour) it comes from:
//
//   - a create of an existing resource fails with ALREADY_EXISTS (HTTP 409,
//     which gcloud reports through api_lib/util/exceptions.py HttpException
//     and exits 1), a describe of a missing one with NOT_FOUND (404, exit 1);
//   - a resource of a disabled API fails with SERVICE_DISABLED;
//   - `run deploy --no-traffic` of a new service fails
//     (command_lib/run/config_changes.py, NoTrafficChange.Adjust);
//   - `run services update-traffic --to-tags` to a tag no traffic target
//     carries fails (config_changes.py, TrafficChanges.Adjust);
//   - add-iam-policy-binding is idempotent (command_lib/iam/iam_util.py,
//     AddBindingToIamPolicy returns without change when the member has the
//     role) and fails for a service account that does not exist;
//   - a build fails when the build service account lacks
//     roles/cloudbuild.builds.builder (command_lib/functions/service_account_util.py, _BUILDER_ROLE);
//   - `firebase deploy` of Hosting resolves pinTag rewrites the way
//     firebase-tools does (lib/deploy/hosting/convertConfig.js marks them,
//     lib/hosting/runTags.js ensureLatestRevisionTagged tags the service's
//     latest ready revision fh-VERSION and pins the rewrite to that tag);
//     a rewrite without pinTag is sent as {serviceId, region} alone and
//     Hosting routes it to the service's own traffic split.
//
// FAKECLOUD_STATE names the state file (created empty: a new project),
// FAKECLOUD_LOG a file each invocation's arguments are appended to (a
// JSON array a line).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// State is the fake project.
type State struct {
	Project         string
	Number          string
	APIs            map[string]bool
	Firebase        bool
	Database        bool
	ServiceAccounts map[string]bool
	// IAM policies by resource: "project", "secret/NAME", "topics/NAME",
	// "subscriptions/NAME"; each role's members.
	IAM           map[string]map[string][]string
	Secrets       map[string]int // enabled versions
	Topics        map[string]bool
	Subscriptions map[string]*Subscription
	Services      map[string]*Service
	Functions     map[string]*Function
	Triggers      map[string]*Trigger
	Jobs          map[string]*Job
	Channels      []Channel
	Policies      []Policy
	Hosting       *Hosting
	Anonymous     bool
	TTL           map[string]bool // collectionGroup/field with a TTL policy
	Builds        int
}

type Subscription struct {
	Topic, DeadLetter, MinBackoff, MaxBackoff string
	MaxAttempts                               int
}

// Service is a Cloud Run service: its revisions in creation order and its
// traffic targets (spec.traffic).
type Service struct {
	Labels    map[string]string
	Revisions []string
	Traffic   []Target
}

type Target struct {
	Revision string // "" with Latest
	Latest   bool
	Percent  int
	Tag      string
}

type Function struct {
	Labels  map[string]string
	Trigger string // its Eventarc trigger
}

type Trigger struct {
	Service, Subscription, ServiceAccount string
}

type Job struct{ Schedule, Topic string }

type Channel struct{ Name, Email string }

type Policy struct {
	Name, DisplayName string
	Labels            map[string]string
	Channels          []string
}

// Hosting is the live release: its message and its rewrites as
// firebase-tools sent them.
type Hosting struct {
	Version  int
	Message  string
	Rewrites []Rewrite
}

type Rewrite struct {
	Source, Service, Region, Tag string
}

type failure struct {
	msg  string
	code int
}

func fail(format string, args ...any) { panic(failure{fmt.Sprintf(format, args...), 1}) }

func main() {
	tool := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if p := os.Getenv("FAKECLOUD_LOG"); p != "" {
		if f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			line, _ := json.Marshal(append([]string{tool}, args...))
			fmt.Fprintln(f, string(line))
			f.Close()
		}
	}
	path := os.Getenv("FAKECLOUD_STATE")
	st := load(path)
	code := func() (code int) {
		defer func() {
			if r := recover(); r != nil {
				f, ok := r.(failure)
				if !ok {
					panic(r)
				}
				fmt.Fprintf(os.Stderr, "ERROR: (%s.%s) %s\n", tool, strings.Join(words(args), "."), f.msg)
				code = f.code
			}
		}()
		c := parse(args)
		if tool == "firebase" {
			firebase(st, c)
		} else {
			gcloud(st, c)
		}
		return 0
	}()
	if code == 0 {
		save(path, st)
	}
	os.Exit(code)
}

func load(path string) *State {
	st := &State{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, st); err != nil {
			fmt.Fprintln(os.Stderr, "fakecloud:", err)
			os.Exit(3)
		}
	}
	if st.Number == "" {
		st.Number = "123456789012"
	}
	if st.APIs == nil {
		st.APIs = map[string]bool{}
	}
	if st.ServiceAccounts == nil {
		st.ServiceAccounts = map[string]bool{}
	}
	if st.IAM == nil {
		st.IAM = map[string]map[string][]string{}
	}
	if st.Secrets == nil {
		st.Secrets = map[string]int{}
	}
	if st.Topics == nil {
		st.Topics = map[string]bool{}
	}
	if st.Subscriptions == nil {
		st.Subscriptions = map[string]*Subscription{}
	}
	if st.Services == nil {
		st.Services = map[string]*Service{}
	}
	if st.Functions == nil {
		st.Functions = map[string]*Function{}
	}
	if st.Triggers == nil {
		st.Triggers = map[string]*Trigger{}
	}
	if st.Jobs == nil {
		st.Jobs = map[string]*Job{}
	}
	if st.TTL == nil {
		st.TTL = map[string]bool{}
	}
	return st
}

func save(path string, st *State) {
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "fakecloud:", err)
		os.Exit(3)
	}
}
