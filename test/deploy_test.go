package blackbox_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/partyfinder/partyfinder"
	"github.com/partyfinder/partyfinder/shared/testenv"
)

// Every command scripts/deploy --print prints gets past gcloud's argument
// parsing: run with the installed gcloud and no credentials, each must fail
// for want of an account, never for a flag gcloud does not take or a
// value it cannot read. (Nothing leaves the machine: gcloud stops before
// any request, and its proxy is a closed loopback port besides.)
func TestDeployCommandsParse(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("gcloud"); err != nil {
		testenv.Need(t, "gcloud is not installed")
	}
	out, err := exec.Command(filepath.Join(repoRoot, "scripts/deploy"), "--project", "demo-deploy", "--print",
		"setup", "messaging", "http", "triggers", "schedule", "firebase", "monitoring", "canary", "promote", "rollback").Output()
	if err != nil {
		t.Fatalf("scripts/deploy --print: %v", err)
	}
	// One command of each shape: the same command words and flags with
	// other names (eleven functions) parse alike.
	flag := regexp.MustCompile(`--[a-z-]+`)
	seen := map[string]bool{}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "gcloud ") {
			continue
		}
		words := strings.Fields(line)
		shape := strings.Join(words[:min(4, len(words))], " ") + " " + strings.Join(flag.FindAllString(line, -1), " ")
		if !seen[shape] {
			seen[shape] = true
			lines = append(lines, line)
		}
	}
	if len(lines) < 15 {
		t.Fatalf("only %d gcloud commands printed:\n%s", len(lines), out)
	}
	config := t.TempDir()
	env := append(os.Environ(), "CLOUDSDK_CONFIG="+config, "CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=1", "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=1",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "SUB=projects/demo-deploy/subscriptions/x", "PREV=parties-00001-abc", "PN=123", "NAME=")
	noAccount := regexp.MustCompile(`You do not currently have an active account selected|not have an active account`)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, line := range lines {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command("bash", "-c", line)
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
	if out, err := exec.Command(filepath.Join(repoRoot, "scripts/deploy"), "--project", "demo-deploy", "--print", "http").CombinedOutput(); err != nil {
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
