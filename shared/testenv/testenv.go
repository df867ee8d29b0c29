// Package testenv says whether the tests must have the real parts they
// run against (the emulators, Redis): in CI (CI=true) and under
// scripts/test (PARTYFINDER_REQUIRE_EMULATORS=1) a missing part fails the
// test; elsewhere the test skips and says what to start.
package testenv

import (
	"os"
	"testing"
)

// Required reports whether missing real parts fail the tests.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("PARTYFINDER_REQUIRE_EMULATORS") == "1"
}

// Need fails tb when the real parts are required, else skips it; why says
// what is missing and how to start it.
func Need(tb testing.TB, why string) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s; CI=true or PARTYFINDER_REQUIRE_EMULATORS=1 require it", why)
	}
	tb.Skip("SKIP: " + why)
}
