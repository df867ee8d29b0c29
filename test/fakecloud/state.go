package main

import (
	"encoding/json"
	"fmt"
	"os"
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

// need fails as Google APIs do for a disabled service: PERMISSION_DENIED
// with reason SERVICE_DISABLED.
func (st *State) need(api string) {
	if !st.APIs[api] {
		fail("PERMISSION_DENIED: %s has not been used in project %s before or it is disabled. reason: SERVICE_DISABLED", api, st.Number)
	}
}

func notFound(what string) { fail("NOT_FOUND: %s not found", what) }

func exists(what string) { fail("ALREADY_EXISTS: %s already exists", what) }
