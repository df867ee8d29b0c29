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
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
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

// call is one command line: its positional words and its flags (a flag
// given more than once keeps every value).
type call struct {
	pos   []string
	flags map[string][]string
}

// boolFlags take no value.
var boolFlags = map[string]bool{"--enabled": true, "--no-traffic": true, "--allow-unauthenticated": true,
	"--gen2": true, "--retry": true, "--json": true, "--non-interactive": true, "--quiet": true, "--enable-ttl": true,
	"--force": true}

func parse(args []string) call {
	c := call{flags: map[string][]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			c.flags[k] = append(c.flags[k], v)
		case strings.HasPrefix(a, "-") && len(a) > 1 && (boolFlags[a] || i+1 == len(args)):
			c.flags[a] = append(c.flags[a], "")
		case strings.HasPrefix(a, "-") && len(a) > 1:
			c.flags[a] = append(c.flags[a], args[i+1])
			i++
		default:
			c.pos = append(c.pos, a)
		}
	}
	return c
}

func words(args []string) []string {
	var w []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		w = append(w, a)
	}
	if len(w) > 3 {
		w = w[:3]
	}
	return w
}

func (c call) flag(name string) string {
	if v := c.flags[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func (c call) has(name string) bool { return len(c.flags[name]) > 0 }

func (c call) is(prefix ...string) bool {
	return len(c.pos) >= len(prefix) && slices.Equal(c.pos[:len(prefix)], prefix)
}

func (c call) arg(i int) string {
	if i < len(c.pos) {
		return c.pos[i]
	}
	fail("missing argument")
	return ""
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

// project checks the --project flag (or first positional) names the fake
// project, which takes the first name it is given.
func (st *State) project(name string) {
	if name == "" {
		fail("The required property [project] is not currently set.")
	}
	if st.Project == "" {
		st.Project = name
	}
	if name != st.Project {
		fail("NOT_FOUND: project %s not found (the fake project is %s)", name, st.Project)
	}
}

func (st *State) saExists(email string) {
	if !st.ServiceAccounts[email] {
		// IAM answers 400 INVALID_ARGUMENT for a binding to a missing account.
		fail("INVALID_ARGUMENT: Service account %s does not exist.", email)
	}
}

func gcloud(st *State, c call) {
	if c.is("alpha") || c.is("beta") {
		c.pos = c.pos[1:]
	}
	p := c.flag("--project")
	switch {
	case c.is("services", "list"):
		st.project(p)
		var docs []any
		for _, api := range sortedKeys(st.APIs) {
			docs = append(docs, map[string]any{"config": map[string]any{"name": api}})
		}
		out(c, docs...)
	case c.is("services", "enable"):
		st.project(p)
		for _, api := range c.pos[2:] {
			st.APIs[api] = true
		}
	case c.is("projects", "describe"):
		st.project(c.arg(2))
		out(c, map[string]any{"projectId": st.Project, "projectNumber": st.Number})
	case c.is("projects", "get-iam-policy"):
		st.project(c.arg(2))
		out(c, st.policyDoc("project")...)
	case c.is("projects", "add-iam-policy-binding"):
		st.project(c.arg(2))
		st.bind("project", c)
	case c.is("firestore", "databases", "describe"):
		st.project(p)
		st.need("firestore.googleapis.com")
		if !st.Database {
			notFound("database (default)")
		}
		out(c, map[string]any{"name": "projects/" + st.Project + "/databases/(default)"})
	case c.is("firestore", "databases", "create"):
		st.project(p)
		st.need("firestore.googleapis.com")
		if st.Database {
			exists("database (default)")
		}
		st.Database = true
	case c.is("iam", "service-accounts", "describe"):
		st.project(p)
		if !st.ServiceAccounts[c.arg(3)] {
			notFound("service account " + c.arg(3))
		}
		out(c, map[string]any{"email": c.arg(3)})
	case c.is("iam", "service-accounts", "create"):
		st.project(p)
		email := c.arg(3) + "@" + st.Project + ".iam.gserviceaccount.com"
		if st.ServiceAccounts[email] {
			exists("service account " + email)
		}
		st.ServiceAccounts[email] = true
	case c.is("secrets"):
		st.project(p)
		st.need("secretmanager.googleapis.com")
		st.secrets(c)
	case c.is("monitoring", "channels"):
		st.project(p)
		st.need("monitoring.googleapis.com")
		st.channels(c)
	case c.is("monitoring", "policies"):
		st.project(p)
		st.need("monitoring.googleapis.com")
		st.policies(c)
	case c.is("pubsub"):
		st.project(p)
		st.need("pubsub.googleapis.com")
		st.pubsub(c)
	case c.is("run"):
		st.project(p)
		st.need("run.googleapis.com")
		st.run(c)
	case c.is("functions"):
		st.project(p)
		st.need("cloudfunctions.googleapis.com")
		st.functions(c)
	case c.is("eventarc", "triggers", "list"):
		st.project(p)
		st.need("eventarc.googleapis.com")
		var docs []any
		for _, name := range sortedKeys(st.Triggers) {
			t := st.Triggers[name]
			docs = append(docs, map[string]any{"name": name,
				"destination": map[string]any{"cloudRun": map[string]any{"service": t.Service}},
				"transport":   map[string]any{"pubsub": map[string]any{"subscription": t.Subscription}}})
		}
		out(c, docs...)
	case c.is("scheduler", "jobs"):
		st.project(p)
		st.need("cloudscheduler.googleapis.com")
		st.jobs(c)
	case c.is("firestore", "fields", "ttls", "update"):
		st.project(p)
		st.TTL[c.flag("--collection-group")+"/"+c.arg(4)] = c.has("--enable-ttl")
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

func (st *State) policyDoc(resource string) []any {
	var bindings []any
	roles := st.IAM[resource]
	for _, role := range sortedKeys(roles) {
		bindings = append(bindings, map[string]any{"role": role, "members": toAny(roles[role])})
	}
	return []any{map[string]any{"bindings": bindings}}
}

func (st *State) bind(resource string, c call) {
	member, role := c.flag("--member"), c.flag("--role")
	if member == "" || role == "" {
		fail("--member and --role are required")
	}
	if sa, ok := strings.CutPrefix(member, "serviceAccount:"); ok && !strings.Contains(sa, "gcp-sa-") {
		st.saExists(sa)
	}
	if st.IAM[resource] == nil {
		st.IAM[resource] = map[string][]string{}
	}
	// iam_util.AddBindingToIamPolicy: a member that already has the role
	// leaves the policy as it is.
	if !slices.Contains(st.IAM[resource][role], member) {
		st.IAM[resource][role] = append(st.IAM[resource][role], member)
	}
}

func (st *State) hasRole(member, role string) bool {
	return slices.Contains(st.IAM["project"][role], member)
}

func (st *State) secrets(c call) {
	switch {
	case c.is("secrets", "describe"):
		if _, ok := st.Secrets[c.arg(2)]; !ok {
			notFound("secret " + c.arg(2))
		}
		out(c, map[string]any{"name": "projects/" + st.Number + "/secrets/" + c.arg(2)})
	case c.is("secrets", "create"):
		if _, ok := st.Secrets[c.arg(2)]; ok {
			exists("secret " + c.arg(2))
		}
		st.Secrets[c.arg(2)] = 0
	case c.is("secrets", "versions", "list"):
		n, ok := st.Secrets[c.arg(3)]
		if !ok {
			notFound("secret " + c.arg(3))
		}
		var docs []any
		for i := 1; i <= n; i++ {
			docs = append(docs, map[string]any{"name": strconv.Itoa(i), "state": "enabled"})
		}
		out(c, docs...)
	case c.is("secrets", "versions", "add"):
		if _, ok := st.Secrets[c.arg(3)]; !ok {
			notFound("secret " + c.arg(3))
		}
		if c.flag("--data-file") == "-" {
			io.Copy(io.Discard, os.Stdin) // as gcloud reads the value
		}
		st.Secrets[c.arg(3)]++
	case c.is("secrets", "get-iam-policy"):
		if _, ok := st.Secrets[c.arg(2)]; !ok {
			notFound("secret " + c.arg(2))
		}
		out(c, st.policyDoc("secret/"+c.arg(2))...)
	case c.is("secrets", "add-iam-policy-binding"):
		if _, ok := st.Secrets[c.arg(2)]; !ok {
			notFound("secret " + c.arg(2))
		}
		st.bind("secret/"+c.arg(2), c)
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

func (st *State) channels(c call) {
	switch {
	case c.is("monitoring", "channels", "list"):
		var docs []any
		for _, ch := range st.Channels {
			docs = append(docs, map[string]any{"name": ch.Name, "type": "email", "labels": map[string]any{"email_address": ch.Email}})
		}
		out(c, docs...)
	case c.is("monitoring", "channels", "create"):
		// Cloud Monitoring takes a second channel with the same address:
		// only the deploy's own look keeps it to one.
		email := strings.TrimPrefix(c.flag("--channel-labels"), "email_address=")
		ch := Channel{Name: fmt.Sprintf("projects/%s/notificationChannels/%d", st.Project, len(st.Channels)+1), Email: email}
		st.Channels = append(st.Channels, ch)
		out(c, map[string]any{"name": ch.Name})
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

func (st *State) policies(c call) {
	switch {
	case c.is("monitoring", "policies", "list"):
		var docs []any
		for _, p := range st.Policies {
			docs = append(docs, map[string]any{"name": p.Name, "displayName": p.DisplayName, "userLabels": toAnyMap(p.Labels)})
		}
		out(c, docs...)
	case c.is("monitoring", "policies", "create"), c.is("monitoring", "policies", "update"):
		b, err := os.ReadFile(c.flag("--policy-from-file"))
		if err != nil {
			fail("INVALID_ARGUMENT: %v", err)
		}
		var doc struct {
			DisplayName          string            `json:"displayName"`
			UserLabels           map[string]string `json:"userLabels"`
			NotificationChannels []string          `json:"notificationChannels"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			fail("INVALID_ARGUMENT: policy file: %v", err)
		}
		for _, ch := range doc.NotificationChannels {
			if !slices.ContainsFunc(st.Channels, func(x Channel) bool { return x.Name == ch }) {
				fail("NOT_FOUND: notification channel %s", ch)
			}
		}
		p := Policy{DisplayName: doc.DisplayName, Labels: doc.UserLabels, Channels: doc.NotificationChannels}
		if c.is("monitoring", "policies", "create") {
			// Cloud Monitoring takes two policies of one name.
			p.Name = fmt.Sprintf("projects/%s/alertPolicies/%d", st.Project, len(st.Policies)+1)
			st.Policies = append(st.Policies, p)
			return
		}
		i := slices.IndexFunc(st.Policies, func(x Policy) bool { return x.Name == c.arg(3) })
		if i < 0 {
			notFound("alert policy " + c.arg(3))
		}
		p.Name = c.arg(3)
		st.Policies[i] = p
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

func subName(st *State, s string) string {
	if strings.HasPrefix(s, "projects/") {
		return s
	}
	return "projects/" + st.Project + "/subscriptions/" + s
}

func topicName(st *State, s string) string {
	if strings.HasPrefix(s, "projects/") {
		return s
	}
	return "projects/" + st.Project + "/topics/" + s
}

func (st *State) pubsub(c call) {
	switch {
	case c.is("pubsub", "topics", "describe"):
		if !st.Topics[topicName(st, c.arg(3))] {
			notFound("topic " + c.arg(3))
		}
		out(c, map[string]any{"name": topicName(st, c.arg(3))})
	case c.is("pubsub", "topics", "create"):
		for _, t := range c.pos[3:] {
			if st.Topics[topicName(st, t)] {
				exists("topic " + t)
			}
			st.Topics[topicName(st, t)] = true
		}
	case c.is("pubsub", "topics", "get-iam-policy"), c.is("pubsub", "topics", "add-iam-policy-binding"):
		t := topicName(st, c.arg(3))
		if !st.Topics[t] {
			notFound("topic " + c.arg(3))
		}
		if c.pos[2] == "get-iam-policy" {
			out(c, st.policyDoc("topics/"+t)...)
		} else {
			st.bind("topics/"+t, c)
		}
	case c.is("pubsub", "subscriptions", "describe"):
		s := st.Subscriptions[subName(st, c.arg(3))]
		if s == nil {
			notFound("subscription " + c.arg(3))
		}
		doc := map[string]any{"name": subName(st, c.arg(3)), "topic": s.Topic}
		if s.DeadLetter != "" {
			doc["deadLetterPolicy"] = map[string]any{"deadLetterTopic": s.DeadLetter, "maxDeliveryAttempts": s.MaxAttempts}
		}
		if s.MinBackoff != "" {
			doc["retryPolicy"] = map[string]any{"minimumBackoff": s.MinBackoff, "maximumBackoff": s.MaxBackoff}
		}
		out(c, doc)
	case c.is("pubsub", "subscriptions", "create"):
		name := subName(st, c.arg(3))
		if st.Subscriptions[name] != nil {
			exists("subscription " + c.arg(3))
		}
		if !st.Topics[topicName(st, c.flag("--topic"))] {
			notFound("topic " + c.flag("--topic"))
		}
		st.Subscriptions[name] = &Subscription{Topic: topicName(st, c.flag("--topic"))}
	case c.is("pubsub", "subscriptions", "update"):
		s := st.Subscriptions[subName(st, c.arg(3))]
		if s == nil {
			notFound("subscription " + c.arg(3))
		}
		if d := c.flag("--dead-letter-topic"); d != "" {
			if !st.Topics[topicName(st, d)] {
				notFound("dead-letter topic " + d)
			}
			s.DeadLetter = topicName(st, d)
			s.MaxAttempts, _ = strconv.Atoi(c.flag("--max-delivery-attempts"))
		}
		if c.has("--min-retry-delay") {
			s.MinBackoff, s.MaxBackoff = c.flag("--min-retry-delay"), c.flag("--max-retry-delay")
		}
	case c.is("pubsub", "subscriptions", "get-iam-policy"), c.is("pubsub", "subscriptions", "add-iam-policy-binding"):
		name := subName(st, c.arg(3))
		if st.Subscriptions[name] == nil {
			notFound("subscription " + c.arg(3))
		}
		if c.pos[2] == "get-iam-policy" {
			out(c, st.policyDoc("subscriptions/"+name)...)
		} else {
			st.bind("subscriptions/"+name, c)
		}
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

// build is a source build: the build service account (--build-service-account)
// must hold the builder role.
func (st *State) build(c call) {
	st.need("cloudbuild.googleapis.com")
	st.need("artifactregistry.googleapis.com")
	sa := c.flag("--build-service-account")
	if sa == "" {
		// Projects created since mid-2024 build as the Compute Engine
		// default account, which is granted nothing (service_account_util.py, _GCE_SA).
		sa = "projects/" + st.Project + "/serviceAccounts/" + st.Number + "-compute@developer.gserviceaccount.com"
	}
	email := sa[strings.LastIndex(sa, "/")+1:]
	if c.has("--build-service-account") && !st.ServiceAccounts[email] {
		// command_lib/run/build_util.py, ValidateBuildServiceAccountAndPromptWarning.
		fail("Build service account %s does not exist.", sa)
	}
	// service_account_util.py ValidateDefaultBuildServiceAccountAndPromptWarning:
	// the compute account no longer gets roles/editor, and a build needs
	// roles/cloudbuild.builds.builder.
	if !st.hasRole("serviceAccount:"+email, "roles/cloudbuild.builds.builder") {
		fail("FAILED_PRECONDITION: Build failed: %s lacks roles/cloudbuild.builds.builder", email)
	}
	if s := c.flag("--service-account"); s != "" {
		st.saExists(s)
	}
	st.Builds++
}

func (st *State) run(c call) {
	switch {
	case c.is("run", "services", "describe"):
		s := st.Services[c.arg(3)]
		if s == nil {
			// gcloud's own message for a missing service (surface/run/services/describe.py).
			fail("Cannot find service [%s]", c.arg(3))
		}
		var traffic []any
		for _, t := range s.Traffic {
			rev := t.Revision
			if t.Latest {
				rev = s.Revisions[len(s.Revisions)-1]
			}
			doc := map[string]any{"revisionName": rev, "percent": t.Percent}
			if t.Tag != "" {
				doc["tag"] = t.Tag
			}
			traffic = append(traffic, doc)
		}
		out(c, map[string]any{"metadata": map[string]any{"name": c.arg(3), "labels": toAnyMap(s.Labels)},
			"status": map[string]any{"traffic": traffic, "latestReadyRevisionName": s.Revisions[len(s.Revisions)-1]}})
	case c.is("run", "deploy"):
		name := c.arg(2)
		s := st.Services[name]
		if s == nil && c.has("--no-traffic") {
			// config_changes.py NoTrafficChange.Adjust.
			fail("--no-traffic not supported when creating a new service.")
		}
		if c.has("--secrets") || c.has("--set-secrets") {
			for _, v := range append(c.flags["--set-secrets"], c.flags["--secrets"]...) {
				secret := strings.SplitN(strings.SplitN(v, "=", 2)[1], ":", 2)[0]
				if _, ok := st.Secrets[secret]; !ok {
					notFound("secret " + secret)
				}
				if !slices.Contains(st.IAM["secret/"+secret]["roles/secretmanager.secretAccessor"], "serviceAccount:"+c.flag("--service-account")) {
					fail("PERMISSION_DENIED: %s may not access secret %s", c.flag("--service-account"), secret)
				}
			}
		}
		st.build(c)
		if s == nil {
			s = &Service{Labels: map[string]string{}, Traffic: []Target{{Latest: true, Percent: 100}}}
			st.Services[name] = s
		}
		rev := fmt.Sprintf("%s-%05d-fake", name, len(s.Revisions)+1)
		if c.has("--no-traffic") {
			// NoTrafficChange: the latest-following target is pinned to
			// the revision it serves now (traffic.py ZeroLatestTraffic).
			for i := range s.Traffic {
				if s.Traffic[i].Latest {
					s.Traffic[i].Latest, s.Traffic[i].Revision = false, s.Revisions[len(s.Revisions)-1]
				}
			}
		}
		s.Revisions = append(s.Revisions, rev)
		if tag := c.flag("--tag"); tag != "" {
			// TagOnDeployChange: the tag moves to the new revision.
			for i := range s.Traffic {
				if s.Traffic[i].Tag == tag {
					s.Traffic[i].Tag = ""
				}
			}
			s.Traffic = append(s.Traffic, Target{Revision: rev, Tag: tag})
		}
		for _, kv := range c.flags["--update-labels"] {
			k, v, _ := strings.Cut(kv, "=")
			s.Labels[k] = v
		}
		s.Traffic = prune(s.Traffic)
	case c.is("run", "services", "update-traffic"):
		s := st.Services[c.arg(3)]
		if s == nil {
			fail("Cannot find service [%s]", c.arg(3))
		}
		var key Target
		var pct int
		switch {
		case c.has("--to-tags"):
			tag, p, _ := strings.Cut(c.flag("--to-tags"), "=")
			pct, _ = strconv.Atoi(p)
			i := slices.IndexFunc(s.Traffic, func(t Target) bool { return t.Tag == tag })
			if i < 0 {
				// config_changes.py TrafficChanges.Adjust.
				fail("There is no revision tagged with [%s] in the traffic allocation for [%s].", tag, c.arg(3))
			}
			key = s.Traffic[i]
		case c.has("--to-revisions"):
			rev, p, _ := strings.Cut(c.flag("--to-revisions"), "=")
			pct, _ = strconv.Atoi(p)
			if !slices.Contains(s.Revisions, rev) {
				notFound("revision " + rev)
			}
			key = Target{Revision: rev}
		case c.has("--to-latest"):
			key, pct = Target{Latest: true}, 100
		default:
			fail("one of --to-tags, --to-revisions, --to-latest is required")
		}
		s.Traffic = setTraffic(s.Traffic, key, pct)
	case c.is("run", "revisions", "list"):
		s := st.Services[c.flag("--service")]
		if s == nil {
			fail("Cannot find service [%s]", c.flag("--service"))
		}
		var docs []any
		revs := slices.Clone(s.Revisions)
		if c.flag("--sort-by") == "~metadata.creationTimestamp" {
			slices.Reverse(revs)
		}
		for _, r := range revs {
			docs = append(docs, map[string]any{"metadata": map[string]any{"name": r}})
		}
		out(c, docs...)
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

// setTraffic gives the target key pct and the rest of the traffic to the
// other percent targets in proportion (api_lib/run/traffic.py,
// TrafficTargets.UpdateTraffic); tags stay where they are.
func setTraffic(traffic []Target, key Target, pct int) []Target {
	same := func(t Target) bool {
		return (key.Latest && t.Latest) || (!key.Latest && !t.Latest && t.Revision == key.Revision)
	}
	rest, others := 100-pct, 0
	for _, t := range traffic {
		if !same(t) {
			others += t.Percent
		}
	}
	var out []Target
	placed, given := false, 0
	for _, t := range traffic {
		if same(t) {
			if !placed {
				t.Percent = pct
				placed = true
			} else {
				t.Percent = 0
			}
		} else if others > 0 {
			t.Percent = t.Percent * rest / others
			given += t.Percent
		}
		out = append(out, t)
	}
	if !placed {
		key.Percent = pct
		out = append(out, key)
	}
	// Rounding leftovers go to the largest other target.
	if left := rest - given; left > 0 && others > 0 {
		best := -1
		for i, t := range out {
			if !same(t) && (best < 0 || t.Percent > out[best].Percent) {
				best = i
			}
		}
		out[best].Percent += left
	}
	return prune(out)
}

// prune drops targets with neither traffic nor a tag, as Cloud Run does.
func prune(traffic []Target) []Target {
	return slices.DeleteFunc(traffic, func(t Target) bool { return t.Percent == 0 && t.Tag == "" })
}

func (st *State) functions(c call) {
	switch {
	case c.is("functions", "describe"):
		f := st.Functions[c.arg(2)]
		if f == nil {
			notFound("function " + c.arg(2))
		}
		out(c, map[string]any{"name": c.arg(2), "labels": toAnyMap(f.Labels)})
	case c.is("functions", "deploy"):
		name := c.arg(2)
		st.need("eventarc.googleapis.com")
		st.need("run.googleapis.com")
		tsa := c.flag("--trigger-service-account")
		st.saExists(tsa)
		if c.has("--trigger-topic") {
			if !st.Topics[topicName(st, c.flag("--trigger-topic"))] {
				// Cloud Functions creates a missing trigger topic; the deploy
				// creates them first so that their IAM is its own.
				notFound("topic " + c.flag("--trigger-topic"))
			}
		} else {
			if !st.Database {
				fail("FAILED_PRECONDITION: Firestore database (default) does not exist")
			}
			// Eventarc's Firestore triggers deliver as the trigger service
			// account, which must hold roles/eventarc.eventReceiver.
			if !st.hasRole("serviceAccount:"+tsa, "roles/eventarc.eventReceiver") {
				fail("FAILED_PRECONDITION: %s lacks roles/eventarc.eventReceiver", tsa)
			}
		}
		st.build(c)
		f := st.Functions[name]
		if f == nil {
			svc := strings.ToLower(name)
			trigger := name + "-fake"
			sub := "projects/" + st.Project + "/subscriptions/eventarc-" + svc + "-sub"
			if c.has("--trigger-topic") {
				st.Subscriptions[sub] = &Subscription{Topic: topicName(st, c.flag("--trigger-topic"))}
			} else {
				sub = ""
			}
			st.Triggers[trigger] = &Trigger{Service: svc, Subscription: sub, ServiceAccount: tsa}
			f = &Function{Labels: map[string]string{}, Trigger: trigger}
			st.Functions[name] = f
		}
		for _, kv := range c.flags["--update-labels"] {
			k, v, _ := strings.Cut(kv, "=")
			f.Labels[k] = v
		}
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

func (st *State) jobs(c call) {
	name := c.arg(3)
	if c.is("scheduler", "jobs", "create") || c.is("scheduler", "jobs", "update") {
		name = c.arg(4)
	}
	j := st.Jobs[name]
	switch {
	case c.is("scheduler", "jobs", "describe"):
		if j == nil {
			notFound("job " + name)
		}
		out(c, map[string]any{"name": name, "schedule": j.Schedule, "pubsubTarget": map[string]any{"topicName": j.Topic}})
	case c.is("scheduler", "jobs", "create", "pubsub"):
		if j != nil {
			exists("job " + name)
		}
		st.Jobs[name] = &Job{Schedule: c.flag("--schedule"), Topic: c.flag("--topic")}
	case c.is("scheduler", "jobs", "update", "pubsub"):
		if j == nil {
			notFound("job " + name)
		}
		j.Schedule, j.Topic = c.flag("--schedule"), c.flag("--topic")
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

func firebase(st *State, c call) {
	switch {
	case c.is("projects:list"):
		var ps []map[string]string
		if st.Firebase {
			ps = append(ps, map[string]string{"projectId": st.Project, "projectNumber": st.Number})
		}
		b, _ := json.MarshalIndent(map[string]any{"status": "success", "result": ps}, "", "  ")
		fmt.Println(string(b))
	case c.is("projects:addfirebase"):
		st.project(c.arg(1))
		if st.Firebase {
			exists("Firebase project " + c.arg(1))
		}
		st.Firebase = true
	case c.is("hosting:channel:list"):
		st.project(c.flag("--project"))
		if !st.Firebase {
			notFound("project " + st.Project + " (Firebase is not added)")
		}
		var channels []map[string]any
		if st.Hosting != nil {
			channels = append(channels, map[string]any{"name": "sites/" + st.Project + "/channels/live",
				"release": map[string]any{"message": st.Hosting.Message}})
		}
		b, _ := json.MarshalIndent(map[string]any{"status": "success", "result": map[string]any{"channels": channels}}, "", "  ")
		fmt.Println(string(b))
	case c.is("deploy"):
		st.project(c.flag("--project"))
		st.firebaseDeploy(c)
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

// firebaseDeploy reads firebase.json and firestore.indexes.json from the
// working directory, as firebase-tools does.
func (st *State) firebaseDeploy(c call) {
	if !st.Firebase {
		fail("Failed to get Firebase project %s. Please make sure the project exists and your account has permission to access it.", st.Project)
	}
	only := strings.Split(c.flag("--only"), ",")
	b, err := os.ReadFile("firebase.json")
	if err != nil {
		fail("Not in a Firebase app directory (could not locate firebase.json)")
	}
	var cfg struct {
		Hosting struct {
			Rewrites []struct {
				Source string `json:"source"`
				Run    *struct {
					ServiceID string `json:"serviceId"`
					Region    string `json:"region"`
					PinTag    bool   `json:"pinTag"`
				} `json:"run"`
			} `json:"rewrites"`
		} `json:"hosting"`
		Auth struct {
			Providers struct {
				Anonymous bool `json:"anonymous"`
			} `json:"providers"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		fail("firebase.json: %v", err)
	}
	if slices.Contains(only, "firestore:indexes") {
		st.need("firestore.googleapis.com")
		if !st.Database {
			fail("Firestore database (default) does not exist")
		}
		b, err := os.ReadFile("firestore.indexes.json")
		if err != nil {
			fail("firestore.indexes.json: %v", err)
		}
		var idx struct {
			FieldOverrides []struct {
				CollectionGroup string `json:"collectionGroup"`
				FieldPath       string `json:"fieldPath"`
				TTL             *bool  `json:"ttl"`
				Indexes         []any  `json:"indexes"`
			} `json:"fieldOverrides"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			fail("firestore.indexes.json: %v", err)
		}
		// lib/firestore/api.js: fields present in the project and absent
		// from the file are deleted (with --force) or offered for deletion;
		// validateField needs collectionGroup, fieldPath and indexes, and a
		// boolean ttl; patchField sets ttlConfig when ttl is true.
		declared := map[string]bool{}
		for _, f := range idx.FieldOverrides {
			if f.CollectionGroup == "" || f.FieldPath == "" || f.Indexes == nil {
				fail("field override must have collectionGroup, fieldPath and indexes")
			}
			key := f.CollectionGroup + "/" + f.FieldPath
			declared[key] = true
			if f.TTL != nil {
				st.TTL[key] = *f.TTL
			}
		}
		for key, on := range st.TTL {
			if on && !declared[key] && !c.has("--non-interactive") {
				fail("field override %s is not in firestore.indexes.json: delete it? (a prompt)", key)
			}
		}
	}
	if slices.Contains(only, "auth") && cfg.Auth.Providers.Anonymous {
		st.need("identitytoolkit.googleapis.com")
		st.Anonymous = true
	}
	if !slices.Contains(only, "hosting") {
		return
	}
	version := 1
	if st.Hosting != nil {
		version = st.Hosting.Version + 1
	}
	h := &Hosting{Version: version, Message: c.flag("-m")}
	for _, r := range cfg.Hosting.Rewrites {
		if r.Run == nil {
			continue
		}
		rw := Rewrite{Source: r.Source, Service: r.Run.ServiceID, Region: r.Run.Region}
		if r.Run.PinTag {
			// runTags.js ensureLatestRevisionTagged: the latest ready
			// revision keeps a tag it has, else gets fh-VERSION.
			s := st.Services[r.Run.ServiceID]
			if s == nil {
				fail("Assertion failed: service %s has no ready revision", r.Run.ServiceID)
			}
			latest := s.Revisions[len(s.Revisions)-1]
			i := slices.IndexFunc(s.Traffic, func(t Target) bool { return t.Revision == latest && t.Tag != "" })
			if i >= 0 {
				rw.Tag = s.Traffic[i].Tag
			} else {
				rw.Tag = fmt.Sprintf("fh-%d", version)
				s.Traffic = append(s.Traffic, Target{Revision: latest, Tag: rw.Tag})
			}
		}
		h.Rewrites = append(h.Rewrites, rw)
	}
	st.Hosting = h
}

// out prints docs as --format (value(...), json or none) and --flatten say.
func out(c call, docs ...any) {
	format := c.flag("--format")
	if fl := c.flag("--flatten"); fl != "" {
		var flat []any
		for _, d := range docs {
			flat = append(flat, flatten(d, strings.Split(strings.ReplaceAll(fl, "[]", ""), "."))...)
		}
		docs = flat
	}
	if f := c.flag("--filter"); f != "" {
		k, v, _ := strings.Cut(f, "=")
		v = strings.Trim(v, `"`)
		// Resource filters compare strings without case (gcloud topic filters).
		docs = slices.DeleteFunc(docs, func(d any) bool { return !strings.EqualFold(str(lookup(d, k)), v) })
	}
	if n, err := strconv.Atoi(c.flag("--limit")); err == nil && n < len(docs) {
		docs = docs[:n]
	}
	switch {
	case format == "none":
	case strings.HasPrefix(format, "value("):
		keys := strings.Split(strings.TrimSuffix(strings.TrimPrefix(format, "value("), ")"), ",")
		for _, d := range docs {
			var cols []string
			for _, k := range keys {
				cols = append(cols, str(lookup(d, strings.TrimSpace(k))))
			}
			fmt.Println(strings.Join(cols, "\t"))
		}
	default:
		b, _ := json.MarshalIndent(docs, "", "  ")
		fmt.Println(string(b))
	}
}

// flatten makes one document per element of the list at path (gcloud's
// --flatten, core/resource/resource_projector.py).
func flatten(doc any, path []string) []any {
	m, ok := doc.(map[string]any)
	if !ok || len(path) == 0 {
		return []any{doc}
	}
	var elems []any
	switch v := m[path[0]].(type) {
	case []any:
		elems = v
	case nil:
		return nil
	default:
		elems = []any{v}
	}
	var out []any
	for _, e := range elems {
		for _, sub := range flatten(e, path[1:]) {
			cp := map[string]any{}
			for k, v := range m {
				cp[k] = v
			}
			cp[path[0]] = sub
			out = append(out, cp)
		}
	}
	return out
}

func lookup(doc any, key string) any {
	for _, part := range strings.Split(key, ".") {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[part]
	}
	return doc
}

// str formats a value as gcloud's value() does: lists joined by ';'.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		var parts []string
		for _, e := range v {
			parts = append(parts, str(e))
		}
		return strings.Join(parts, ";")
	default:
		return fmt.Sprint(v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func toAnyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
