package blackbox_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder"
)

// module is the module path every package here starts with.
const module = "github.com/partyfinder/partyfinder"

// TestEachFunctionIsBuiltAlone stages every function and trigger as the
// deploy uploads it and lists the packages its build compiles: its own
// handler package, no other function's or trigger's, and none of the
// Cloud Storage, gRPC xDS or envoy packages that only the Firebase Admin
// SDK brought in.
func TestEachFunctionIsBuiltAlone(t *testing.T) {
	var names []string
	for _, f := range partyfinder.Functions {
		names = append(names, f.Name)
	}
	for _, tr := range partyfinder.Triggers {
		names = append(names, tr.Name)
	}
	// The handler packages each registration file imports.
	own := map[string]string{}
	imports := regexp.MustCompile(`"` + regexp.QuoteMeta(module) + `/((?:functions|triggers)/[a-z]+)"`)
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(repoRoot, strings.ToLower(name)+".go"))
		if err != nil {
			t.Fatalf("%s has no registration file of its own: %v", name, err)
		}
		if m := imports.FindSubmatch(src); m != nil {
			own[name] = module + "/" + string(m[1])
		}
	}
	handlerPackages := map[string]bool{}
	for _, p := range own {
		handlerPackages[p] = true
	}
	forbidden := regexp.MustCompile(`^(cloud\.google\.com/go/storage|google\.golang\.org/grpc/xds|github\.com/envoyproxy|github\.com/spiffe)(/|$)`)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "src")
			stage := exec.Command(filepath.Join(repoRoot, "scripts", "build-function"), "--stage", name, dir)
			if out, err := stage.CombinedOutput(); err != nil {
				t.Fatalf("scripts/build-function --stage %s: %v\n%s", name, err, out)
			}
			list := exec.Command("go", "list", "-deps", ".")
			list.Dir = dir
			out, err := list.Output()
			if err != nil {
				t.Fatalf("go list -deps in the stage of %s: %v", name, err)
			}
			deps := strings.Fields(string(out))
			if p, ok := own[name]; ok && !slices.Contains(deps, p) {
				t.Errorf("%s's build does not compile its handler package %s", name, p)
			}
			for _, d := range deps {
				if handlerPackages[d] && d != own[name] {
					t.Errorf("%s's build compiles %s, another function's handler package", name, d)
				}
				if forbidden.MatchString(d) {
					t.Errorf("%s's build compiles %s", name, d)
				}
			}
		})
	}
}

// TestUnknownFunctionIsNotStaged: a name that no root file registers is
// refused, rather than staged as a build of the core alone.
func TestUnknownFunctionIsNotStaged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "src")
	out, err := exec.Command(filepath.Join(repoRoot, "scripts", "build-function"), "--stage", "nosuch", dir).CombinedOutput()
	if err == nil {
		t.Fatalf("staging an unknown function succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "no function or trigger nosuch") {
		t.Errorf("staging an unknown function said %q", out)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("staging an unknown function left %s", dir)
	}
}
