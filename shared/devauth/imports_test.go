package devauth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The Cloud Run entry point must not be able to mint tokens: the root
// package, and so everything deployed, never imports devauth. Only the
// local runner may.
func TestDeployedCodeDoesNotImportDevAuth(t *testing.T) {
	const root = "github.com/partyfinder/partyfinder"
	out, err := exec.Command("go", "list", "-e", "-deps", root).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", root, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || deps[len(deps)-1] != root {
		t.Fatalf("go list gave no dependency list for %s:\n%s", root, out)
	}
	for _, d := range deps {
		if d == root+"/shared/devauth" {
			t.Fatalf("%s imports %s: dev sign-in would be deployed", root, d)
		}
	}
}
