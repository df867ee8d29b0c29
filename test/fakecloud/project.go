package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

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
