package blackbox_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// Every command scripts/deploy --print prints gets past gcloud's argument
// parsing: the plan for an empty project (read from the stand-in, so every
// resource is to be created) is run with the installed gcloud and no
// credentials, and each command must fail for want of an account, never
// for a flag gcloud does not take or a value it cannot read. (Nothing
// leaves the machine: gcloud stops before any request, and its proxy is a
// closed loopback port besides.)
//
// Not parallel: TestDeployEnvironmentIsAccepted has the script write the same files.
func TestDeployCommandsParse(t *testing.T) {
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		testenv.Need(t, "gcloud is not installed")
	}
	// One command of each shape: the same command words and flags with
	// other names (eleven functions) parse alike. The command words end
	// at the verb.
	flag := regexp.MustCompile(`--[a-z-]+`)
	verb := regexp.MustCompile(`^(create|describe|list|deploy|update|enable|add|get-iam-policy|add-iam-policy-binding|update-traffic)$`)
	shape := func(words []string) string {
		end := slices.IndexFunc(words, verb.MatchString)
		if end < 0 {
			end = min(3, len(words)-1)
		}
		return strings.Join(words[:end+1], " ") + " " + strings.Join(flag.FindAllString(strings.Join(words, " "), -1), " ")
	}
	seen := map[string]bool{}
	var lines []string
	printed := func(out string) {
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			line := sc.Text()
			i := strings.Index(line, "gcloud ")
			if i < 0 {
				continue
			}
			if s := shape(strings.Fields(line[i:])); !seen[s] {
				seen[s] = true
				lines = append(lines, line)
			}
		}
	}
	// The reads the script makes itself, with the flags it gives them.
	reads := func(fake *fakeCloud) {
		for _, args := range fake.calls(t) {
			s := shape(args)
			if args[0] != "gcloud" || seen[s] || !regexp.MustCompile(` (describe|list|get-iam-policy) `).MatchString(s) {
				continue
			}
			seen[s] = true
			quoted := make([]string, len(args))
			for i, a := range args {
				quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
			}
			quoted[0] = "gcloud"
			lines = append(lines, strings.Join(quoted, " "))
		}
	}
	// The plan for an empty project: every resource is created.
	empty := newFakeCloud(t, repoRoot)
	out, err := empty.deploy(t, "--print", "--alert-email", "oncall@example.com",
		"setup", "messaging", "http", "triggers", "schedule", "firebase", "monitoring", "canary", "promote", "rollback")
	if err != nil {
		t.Fatalf("scripts/deploy --print: %v\n%s", err, out)
	}
	printed(out)
	reads(empty)
	// The plan for a project serving a revision when the source changed:
	// new revisions without traffic, and the traffic steps.
	deployed := newFakeCloud(t, "")
	deployed.mustDeploy(t, "--alert-email", "oncall@example.com")
	if err := os.WriteFile(filepath.Join(deployed.dir, "changed.go"), []byte("package partyfinder\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"http", "canary", "promote", "rollback"} {
		printed(deployed.mustDeploy(t, "--print", step).out)
		deployed.mustDeploy(t, step)
	}
	reads(deployed)
	if len(lines) < 15 {
		t.Fatalf("only %d gcloud commands printed:\n%s", len(lines), out)
	}
	for _, want := range []string{"--no-traffic", "--to-tags", "--to-revisions"} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, want) }) {
			t.Errorf("no command with %s was checked", want)
		}
	}
	t.Logf("%d command shapes", len(lines))
	if os.Getenv("DEPLOY_SHAPES") != "" {
		t.Log(strings.Join(lines, "\n"))
		return
	}
	config := t.TempDir()
	env := append(os.Environ(), "CLOUDSDK_CONFIG="+config, "CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=1", "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=1",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "SUB=projects/demo-deploy/subscriptions/x", "PREV=parties-00001-abc", "PN=123", "NAME=")
	noAccount := regexp.MustCompile(`You do not currently have an active account selected|not have an active account`)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, line := range lines {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command("bash", "-c", strings.Replace(line, "gcloud ", gcloud+" ", 1))
			cmd.Dir, cmd.Env, cmd.Stdin = repoRoot, env, strings.NewReader("")
			b, _ := cmd.CombinedOutput()
			if !noAccount.Match(b) {
				t.Errorf("gcloud did not get past its arguments:\n%s\n%s", line, b)
			}
		})
	}
	wg.Wait()
}

// The alert policies scripts/deploy applies are well-formed, each has a
// PromQL condition and names a runbook that exists, and every runbook is
// named by one.
func TestAlertPoliciesNameTheirRunbooks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs/slo/policies/*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("policies: %v, %v", files, err)
	}
	runbook := regexp.MustCompile(`Runbook: (docs/runbooks/[a-z-]+\.md)`)
	named := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			DisplayName string `json:"displayName"`
			Combiner    string `json:"combiner"`
			Conditions  []struct {
				DisplayName string `json:"displayName"`
				PromQL      *struct {
					Query    string `json:"query"`
					Duration string `json:"duration"`
				} `json:"conditionPrometheusQueryLanguage"`
			} `json:"conditions"`
			Documentation struct {
				Content string `json:"content"`
			} `json:"documentation"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if p.DisplayName == "" || p.Combiner == "" || len(p.Conditions) == 0 {
			t.Errorf("%s: no name, combiner or conditions", f)
		}
		for _, c := range p.Conditions {
			if c.PromQL == nil || !strings.Contains(c.PromQL.Query, "googleapis_com:") || c.DisplayName == "" {
				t.Errorf("%s: condition %q has no PromQL query on a Google Cloud metric", f, c.DisplayName)
			}
		}
		m := runbook.FindStringSubmatch(p.Documentation.Content)
		if m == nil {
			t.Errorf("%s names no runbook", f)
			continue
		}
		if _, err := os.Stat(filepath.Join(repoRoot, m[1])); err != nil {
			t.Errorf("%s names %s: %v", f, m[1], err)
		}
		named[m[1]] = true
	}
	books, _ := filepath.Glob(filepath.Join(repoRoot, "docs/runbooks/*.md"))
	for _, b := range books {
		if rel, _ := filepath.Rel(repoRoot, b); !named[rel] {
			t.Errorf("no alert names %s", rel)
		}
	}
}

// The environment files scripts/deploy gives each function group are a
// configuration the functions accept, with the cloud's settings: Firestore,
// events over Pub/Sub, spans and metrics to Google Cloud.
//
// Not parallel: TestDeployCommandsParse has the script write the same files.
func TestDeployEnvironmentIsAccepted(t *testing.T) {
	if out, err := newFakeCloud(t, repoRoot).deploy(t, "--print", "http"); err != nil {
		t.Fatalf("scripts/deploy --print: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(repoRoot, ".partyfinder", "deploy", "*.yaml"))
	if len(files) < 2 {
		t.Fatalf("environment files written: %v", files)
	}
	line := regexp.MustCompile(`^([A-Z_]+): "(.*)"$`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"K_SERVICE": "parties", "K_REVISION": "parties-00001"}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("%s: not a KEY: \"value\" line: %q", f, l)
			}
			env[m[1]] = m[2]
		}
		c, err := partyfinder.ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if c.Store != partyfinder.StoreFirestore || c.Events != partyfinder.EventsPubSub || c.ProjectID != "demo-deploy" ||
			c.TraceExporter != "gcp" || c.MetricsExporter != "gcp" {
			t.Errorf("%s: store %s, events %s, project %s, exporters %s/%s", filepath.Base(f), c.Store, c.Events, c.ProjectID, c.TraceExporter, c.MetricsExporter)
		}
	}
}

// fakeCloud is a project directory with scripts/deploy and the files it
// deploys, and test/fakecloud on PATH as gcloud and firebase, holding a
// fake project that starts empty.
type fakeCloud struct {
	dir, state, logFile string
	env                 []string
}

// newFakeCloud builds the stand-in. With dir "" it copies what the deploy
// reads into a fresh directory (so a test can change the source); else the
// deploy runs in dir.
func newFakeCloud(t *testing.T, dir string) *fakeCloud {
	t.Helper()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "gcloud"), "./test/fakecloud")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./test/fakecloud: %v\n%s", err, out)
	}
	if err := os.Symlink(filepath.Join(bin, "gcloud"), filepath.Join(bin, "firebase")); err != nil {
		t.Fatal(err)
	}
	if dir == "" {
		dir = filepath.Join(tmp, "project")
		for _, f := range []string{"scripts/deploy", "scripts/build-function", "firebase.json", "firestore.rules", "firestore.indexes.json", "go.mod", "go.sum"} {
			copyFile(t, filepath.Join(repoRoot, f), filepath.Join(dir, f))
		}
		// What each function's source is staged from.
		for _, tree := range []string{"shared", "functions", "triggers"} {
			copyTree(t, filepath.Join(repoRoot, tree), filepath.Join(dir, tree))
		}
		for _, pattern := range []string{"docs/slo/policies/*.json", "public/*", "*.go"} {
			files, _ := filepath.Glob(filepath.Join(repoRoot, pattern))
			for _, f := range files {
				rel, _ := filepath.Rel(repoRoot, f)
				copyFile(t, f, filepath.Join(dir, rel))
			}
		}
	}
	f := &fakeCloud{dir: dir, state: filepath.Join(tmp, "state.json"), logFile: filepath.Join(tmp, "calls.log")}
	f.env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKECLOUD_STATE="+f.state, "FAKECLOUD_LOG="+f.logFile, "REDIS_ADDR=", "ROLLBACK_TO=")
	return f
}

// copyTree copies the files under from to to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(from)
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, info.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// deploy runs scripts/deploy --project demo-deploy ARGS, and returns its
// standard output (with standard error after it on failure).
func (f *fakeCloud) deploy(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(f.dir, "scripts/deploy"), append([]string{"--project", "demo-deploy"}, args...)...)
	cmd.Dir, cmd.Env = f.dir, f.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// mustDeploy runs a deploy that must succeed and returns its summary.
func (f *fakeCloud) mustDeploy(t *testing.T, args ...string) deploySummary {
	t.Helper()
	before := len(f.calls(t))
	out, err := f.deploy(t, args...)
	if err != nil {
		t.Fatalf("scripts/deploy %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	m := regexp.MustCompile(`(?m)^(?:# )?(\d+) created, (\d+) updated, (\d+) unchanged`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("scripts/deploy %s: no summary line:\n%s", strings.Join(args, " "), out)
	}
	s := deploySummary{out: out, calls: f.calls(t)[before:]}
	s.created, _ = strconv.Atoi(m[1])
	s.updated, _ = strconv.Atoi(m[2])
	s.unchanged, _ = strconv.Atoi(m[3])
	return s
}

type deploySummary struct {
	created, updated, unchanged int
	out                         string
	calls                       [][]string
}

// writes are the calls that change the project.
func (s deploySummary) writes() []string {
	read := regexp.MustCompile(`^(describe|list|get-iam-policy|projects:list|hosting:channel:list)$`)
	var out []string
	for _, c := range s.calls {
		isRead := false
		for _, w := range c[1:] {
			if strings.HasPrefix(w, "-") {
				break
			}
			isRead = isRead || read.MatchString(w)
		}
		if !isRead {
			out = append(out, strings.Join(c, " "))
		}
	}
	return out
}

// calls are the stand-in's invocations so far, each its tool and arguments.
func (f *fakeCloud) calls(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(f.logFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var args []string
		if err := json.Unmarshal([]byte(l), &args); err != nil {
			t.Fatalf("stand-in log: %v", err)
		}
		out = append(out, args)
	}
	return out
}

// fakeState is what the test reads of the stand-in's project.
type fakeState struct {
	APIs            map[string]bool
	Firebase        bool
	Database        bool
	ServiceAccounts map[string]bool
	IAM             map[string]map[string][]string
	Subscriptions   map[string]struct {
		Topic, DeadLetter string
		MaxAttempts       int
	}
	Services map[string]struct {
		Revisions []string
		Traffic   []struct {
			Revision string
			Latest   bool
			Percent  int
			Tag      string
		}
	}
	Triggers map[string]struct{ Service, Subscription string }
	Channels []struct{ Name, Email string }
	Policies []struct {
		DisplayName string
		Channels    []string
	}
	Hosting *struct {
		Rewrites []struct{ Source, Service, Tag string }
	}
	Anonymous bool
	TTL       map[string]bool
	Builds    int
}

func (f *fakeCloud) read(t *testing.T) fakeState {
	t.Helper()
	b, err := os.ReadFile(f.state)
	if err != nil {
		t.Fatal(err)
	}
	var s fakeState
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// served is the share of a Hosting path's requests each revision gets:
// a rewrite pinned to a tag sends all to the tagged revision, one without
// a tag follows the service's traffic split.
func (s fakeState) served(t *testing.T, source string) map[string]int {
	t.Helper()
	if s.Hosting == nil {
		t.Fatal("Hosting was never deployed")
	}
	for _, rw := range s.Hosting.Rewrites {
		if rw.Source != source {
			continue
		}
		svc := s.Services[rw.Service]
		out := map[string]int{}
		for _, tr := range svc.Traffic {
			rev := tr.Revision
			if tr.Latest {
				rev = svc.Revisions[len(svc.Revisions)-1]
			}
			if rw.Tag != "" && tr.Tag == rw.Tag {
				return map[string]int{rev: 100}
			}
			if rw.Tag == "" && tr.Percent > 0 {
				out[rev] += tr.Percent
			}
		}
		return out
	}
	t.Fatalf("no Hosting rewrite of %s", source)
	return nil
}

// A first run on an empty project creates everything; a second run right
// after creates and updates nothing, and --print then plans nothing.
func TestDeployConverges(t *testing.T) {
	t.Parallel()
	fake := newFakeCloud(t, "")
	// The plan for an empty project creates everything and changes nothing.
	plan := fake.mustDeploy(t, "--print", "--alert-email", "oncall@example.com")
	if w := plan.writes(); len(w) != 0 || plan.created == 0 || plan.unchanged != 0 {
		t.Errorf("--print on an empty project: %d to create, %d unchanged, and it ran %v", plan.created, plan.unchanged, w)
	}
	first := fake.mustDeploy(t, "--alert-email", "oncall@example.com")
	if plan.created+plan.updated != first.created+first.updated {
		t.Errorf("the plan had %d changes, the run made %d", plan.created+plan.updated, first.created+first.updated)
	}
	if first.created == 0 {
		t.Fatalf("first run created nothing:\n%s", first.out)
	}
	st := fake.read(t)
	if !st.Firebase || !st.Database || !st.Anonymous || len(st.Policies) != 5 || len(st.Channels) != 1 {
		t.Errorf("after the first run: Firebase %v, database %v, anonymous sign-in %v, %d alert policies, %d channels",
			st.Firebase, st.Database, st.Anonymous, len(st.Policies), len(st.Channels))
	}
	for _, p := range st.Policies {
		if len(p.Channels) != 1 || p.Channels[0] != st.Channels[0].Name {
			t.Errorf("alert policy %q notifies %v, not the email channel", p.DisplayName, p.Channels)
		}
	}
	if !st.TTL["analyticsEvents/expireAt"] {
		t.Errorf("no TTL policy on analyticsEvents.expireAt: %v", st.TTL)
	}
	for _, fn := range []string{"AggregateAnalytics", "InvalidateCache", "ResyncSheets"} {
		sub := st.Subscriptions["projects/demo-deploy/subscriptions/eventarc-"+strings.ToLower(fn)+"-sub"]
		if sub.DeadLetter != "projects/demo-deploy/topics/partyfinder-events-dead" || sub.MaxAttempts != 5 {
			t.Errorf("%s's subscription: dead letters to %q after %d attempts", fn, sub.DeadLetter, sub.MaxAttempts)
		}
	}
	second := fake.mustDeploy(t, "--alert-email", "oncall@example.com")
	if second.created != 0 || second.updated != 0 || !strings.Contains(second.out, "nothing to change") {
		t.Errorf("second run: %d created, %d updated:\n%s", second.created, second.updated, second.out)
	}
	if w := second.writes(); len(w) != 0 {
		t.Errorf("second run changed the project:\n%s", strings.Join(w, "\n"))
	}
	if second.unchanged != first.created+first.updated {
		t.Errorf("second run left %d alone, the first made %d", second.unchanged, first.created+first.updated)
	}
	plan = fake.mustDeploy(t, "--print", "--alert-email", "oncall@example.com")
	if plan.created != 0 || plan.updated != 0 || strings.Contains(plan.out, "gcloud ") {
		t.Errorf("--print on a deployed project plans changes:\n%s", plan.out)
	}
	t.Logf("first run: %d stand-in calls (%d writes), %d created, %d updated; second run: %d calls, %d writes, %d unchanged",
		len(first.calls), len(first.writes()), first.created, first.updated, len(second.calls), len(second.writes()), second.unchanged)
}

// canary, promote and rollback move what Hosting sends site visitors to:
// after a new revision goes out, visitors stay on the old one, then 10 %
// reach the new one, then all, then all are back on the old one.
func TestDeployTrafficStepsMoveHosting(t *testing.T) {
	t.Parallel()
	fake := newFakeCloud(t, "")
	fake.mustDeploy(t)
	st := fake.read(t)
	old := st.Services["parties"].Revisions[0]
	// A change to the source: every service gets a new revision.
	if err := os.WriteFile(filepath.Join(fake.dir, "changed.go"), []byte("package partyfinder\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	redeploy := fake.mustDeploy(t)
	// Every function gets a new revision; Hosting, rules and alert
	// policies did not change.
	if redeploy.created != 0 || redeploy.updated != len(partyfinder.Functions)+len(partyfinder.Triggers) {
		t.Fatalf("a source change created %d and updated %d resources:\n%s", redeploy.created, redeploy.updated, redeploy.out)
	}
	// A change that no build sees changes nothing.
	if err := os.WriteFile(filepath.Join(fake.dir, "NOTES.md"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := fake.mustDeploy(t); s.created+s.updated != 0 {
		t.Fatalf("a Markdown file redeployed:\n%s", s.out)
	}
	st = fake.read(t)
	revs := st.Services["parties"].Revisions
	if len(revs) != 2 {
		t.Fatalf("parties has revisions %v", revs)
	}
	next := revs[1]
	health := func(rev string) string { return strings.Replace(rev, "parties-", "health-", 1) }
	prev := ""
	for _, step := range []struct {
		step, env string
		parties   map[string]int
		health    map[string]int // nil: as parties
	}{
		{"", "", map[string]int{old: 100}, nil}, // the redeploy alone
		{"canary", "", map[string]int{old: 90, next: 10}, nil},
		{"canary", "", map[string]int{old: 90, next: 10}, nil}, // again: unchanged
		{"promote", "", map[string]int{next: 100}, nil},
		{"rollback", "", map[string]int{old: 100}, nil},
		{"rollback", "", map[string]int{old: 100}, nil},
		{"rollback", "ROLLBACK_TO=" + next, map[string]int{next: 100}, map[string]int{health(old): 100}},
	} {
		if step.step != "" {
			if step.env != "" {
				fake.env = append(fake.env, step.env)
			}
			s := fake.mustDeploy(t, step.step)
			if step.env != "" {
				fake.env = fake.env[:len(fake.env)-1]
			}
			if w := s.writes(); len(w) > len(partyfinder.Functions) || (step.step+step.env == prev && len(w) > 0) {
				t.Errorf("%s made %d changes: %v", step.step, len(w), w)
			}
		}
		prev = step.step + step.env
		st := fake.read(t)
		for _, source := range []string{"/api/parties", "/api/parties/**", "/api/health"} {
			got, want := st.served(t, source), step.parties
			if source == "/api/health" {
				want = step.health
				if want == nil {
					want = map[string]int{}
					for rev, pct := range step.parties {
						want[health(rev)] = pct
					}
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("after %s %q, Hosting sends %s to %v, want %v", step.env, step.step, source, got, want)
			}
		}
	}
}

// A deploy that fails part way (here: the build account may not build)
// converges once the cause is gone: the next run creates only what the
// first did not.
func TestDeployResumesAfterAFailure(t *testing.T) {
	t.Parallel()
	fake := newFakeCloud(t, "")
	fake.mustDeploy(t, "setup", "messaging")
	// Someone removes the builder role: the HTTP step fails.
	b, _ := os.ReadFile(fake.state)
	b = bytes.Replace(b, []byte(`"roles/cloudbuild.builds.builder"`), []byte(`"roles/viewer"`), 1)
	if err := os.WriteFile(fake.state, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := fake.deploy(t, "http"); err == nil || !strings.Contains(out, "cloudbuild.builds.builder") {
		t.Fatalf("http step without the builder role: %v\n%s", err, out)
	}
	again := fake.mustDeploy(t)
	if again.created == 0 {
		t.Fatalf("the run after the failure created nothing:\n%s", again.out)
	}
	if s := fake.mustDeploy(t); s.created+s.updated != 0 {
		t.Errorf("a third run changed things:\n%s", s.out)
	}
}

// Every IAM grant the deploy makes, with the page that says it is needed;
// nothing more on the project's identities.
func TestDeployGrantsTheRequiredRoles(t *testing.T) {
	t.Parallel()
	fake := newFakeCloud(t, "")
	fake.mustDeploy(t, "--alert-email", "oncall@example.com")
	st := fake.read(t)
	sa := func(g string) string {
		return "serviceAccount:partyfinder-" + g + "@demo-deploy.iam.gserviceaccount.com"
	}
	agent := "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
	type grant struct{ resource, role, member, doc string }
	want := []grant{
		{"project", "roles/run.invoker", sa("invoker"), "https://cloud.google.com/functions/docs/calling/eventarc#trigger-identity"},
		{"project", "roles/eventarc.eventReceiver", sa("invoker"), "https://cloud.google.com/eventarc/docs/roles-permissions (the --trigger-service-account receives the events)"},
		{"project", "roles/cloudbuild.builds.builder", sa("build"), "https://cloud.google.com/functions/docs/securing/build-custom-sa"},
		{"secret/partyfinder-calendar-secret", "roles/secretmanager.secretAccessor", sa("api"), "https://cloud.google.com/secret-manager/docs/access-control"},
		{"topics/projects/demo-deploy/topics/partyfinder-events-dead", "roles/pubsub.publisher", agent, "https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions"},
	}
	for _, fn := range []string{"aggregateanalytics", "invalidatecache", "resyncsheets"} {
		want = append(want, grant{"subscriptions/projects/demo-deploy/subscriptions/eventarc-" + fn + "-sub", "roles/pubsub.subscriber", agent,
			"https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions"})
	}
	for _, g := range []string{"api", "events", "sync"} {
		want = append(want,
			grant{"project", "roles/datastore.user", sa(g), "https://cloud.google.com/firestore/docs/security/iam#roles"},
			grant{"project", "roles/pubsub.publisher", sa(g), "https://cloud.google.com/pubsub/docs/access-control#roles"},
			grant{"project", "roles/telemetry.tracesWriter", sa(g), "https://cloud.google.com/stackdriver/docs/reference/telemetry/overview"},
			grant{"project", "roles/telemetry.metricsWriter", sa(g), "https://cloud.google.com/stackdriver/docs/reference/telemetry/overview"},
			grant{"project", "roles/serviceusage.serviceUsageConsumer", sa(g), "https://cloud.google.com/docs/quotas/set-quota-project (x-goog-user-project)"})
	}
	got := map[grant]bool{}
	for resource, roles := range st.IAM {
		for role, members := range roles {
			for _, m := range members {
				got[grant{resource, role, m, ""}] = true
			}
		}
	}
	for _, g := range want {
		key := grant{g.resource, g.role, g.member, ""}
		if !got[key] {
			t.Errorf("%s lacks %s on %s (%s)", g.member, g.role, g.resource, g.doc)
		}
		delete(got, key)
	}
	for g := range got {
		t.Errorf("%s also has %s on %s, which no page asks for", g.member, g.role, g.resource)
	}
}

// The functions scripts/deploy deploys are the ones the root package
// registers: every HTTP function, every trigger with its topic or its
// Firestore documents.
func TestDeployListsTheRegisteredFunctions(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "scripts/deploy"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(name string) []string {
		m := regexp.MustCompile(`(?m)^` + name + `=\(([^)]*)\)`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("scripts/deploy has no %s=(...)", name)
		}
		var out []string
		for _, w := range regexp.MustCompile(`"[^"]*"|\S+`).FindAll(m[1], -1) {
			out = append(out, strings.Trim(string(w), `"`))
		}
		return out
	}
	var http, events, sync []string
	for _, f := range partyfinder.Functions {
		http = append(http, f.Name)
	}
	for _, tr := range partyfinder.Triggers {
		switch {
		case len(tr.Documents) > 0:
		case tr.Scheduled:
			sync = append(sync, tr.Name)
		default:
			events = append(events, tr.Name)
		}
	}
	// The HTTP functions the script reads from the registration files.
	out, err := exec.Command(filepath.Join(repoRoot, "scripts", "build-function"), "--functions").Output()
	if err != nil {
		t.Fatalf("scripts/build-function --functions: %v", err)
	}
	for _, c := range []struct {
		list       string
		got        []string
		registered []string
	}{
		{"http_functions (scripts/build-function --functions)", strings.Fields(string(out)), http},
		{"event_triggers", list("event_triggers"), events},
		{"sync_triggers", list("sync_triggers"), sync},
	} {
		got, want := c.got, slices.Clone(c.registered)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("scripts/deploy %s = %v, the root package registers %v", c.list, got, want)
		}
	}
	// A function has one Eventarc trigger, so one path pattern may cover
	// several of its documents: a {wildcard} matches any one segment.
	covers := func(pattern, doc string) bool {
		p, d := strings.Split(pattern, "/"), strings.Split(doc, "/")
		if len(p) != len(d) {
			return false
		}
		for i := range p {
			if p[i] != d[i] && !strings.HasPrefix(p[i], "{") {
				return false
			}
		}
		return true
	}
	deployed := map[string]string{}
	for _, entry := range list("firestore_triggers") {
		name, pattern, _ := strings.Cut(entry, " ")
		deployed[name] = pattern
	}
	for _, tr := range partyfinder.Triggers {
		for _, doc := range tr.Documents {
			if !covers(deployed[tr.Name], doc) {
				t.Errorf("scripts/deploy triggers %s on %q, which does not cover %s", tr.Name, deployed[tr.Name], doc)
			}
		}
		delete(deployed, tr.Name)
		if len(tr.Documents) == 0 {
			continue
		}
	}
	for name := range deployed {
		t.Errorf("scripts/deploy deploys a Firestore trigger %s the root package does not register", name)
	}
}

// Hosting's rewrites follow each service's traffic split: firebase-tools
// pins a rewrite with pinTag to the newest revision as it deploys
// (lib/hosting/runTags.js ensureLatestRevisionTagged), which would send
// every visitor to a revision deployed with no traffic.
func TestHostingRewritesAreNotPinned(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "firebase.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Hosting struct {
			Rewrites []map[string]json.RawMessage `json:"rewrites"`
		} `json:"hosting"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, rw := range cfg.Hosting.Rewrites {
		for _, k := range []string{"run", "function"} {
			if bytes.Contains(rw[k], []byte("pinTag")) {
				t.Errorf("rewrite %s pins a tag: %s", rw["source"], rw[k])
			}
		}
	}
}
