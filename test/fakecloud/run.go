package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

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
