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
	"strconv"
	"strings"
)

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
