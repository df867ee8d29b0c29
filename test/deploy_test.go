package blackbox_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

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
		"setup", "messaging", "http", "triggers", "schedule", "firebase", "canary", "promote", "rollback").Output()
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
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "SUB=projects/demo-deploy/subscriptions/x", "PREV=parties-00001-abc", "PN=123")
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
