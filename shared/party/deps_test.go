package party_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The domain packages stay free of cloud SDKs, tracing, validation and
// storage drivers, so they build and test anywhere and adapters can be
// swapped without touching them.
func TestDomainImportsNoInfrastructure(t *testing.T) {
	domain := []string{
		"github.com/partyfinder/partyfinder/shared/party",
		"github.com/partyfinder/partyfinder/shared/conference",
		"github.com/partyfinder/partyfinder/shared/apperr",
		"github.com/partyfinder/partyfinder/shared/fold",
	}
	forbidden := []string{"cloud.google.com", "firebase", "opentelemetry", "validator", "grpc", "sqlite"}

	for _, pkg := range domain {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps %s listed %v; expected the package and its imports", pkg, deps)
		}
		for _, dep := range deps {
			for _, bad := range forbidden {
				if strings.Contains(dep, bad) {
					t.Errorf("%s depends on %s (matches %q)", pkg, dep, bad)
				}
			}
		}
	}
}
