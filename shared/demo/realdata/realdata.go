// Package realdata finds the real party data that sits beside the
// repository (../shared/data, read-only, never copied into it) for tests.
// Where it is absent a test skips, saying so, except under CI=true, where
// the data must be there and its absence fails the test.
package realdata

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of rel (e.g. "gamescom-2025/x.json") in the data
// folder, or skips (fails under CI=true) when it is not there.
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir, err := dataDir()
	path := filepath.Join(dir, rel)
	if err == nil {
		_, err = os.Stat(path)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real data %s is missing under CI, where it must be there: %v", rel, err)
		}
		t.Skipf("real data not found at %s (the read-only shared/data folder beside the repository): %v", path, err)
	}
	return path
}

// Dir returns the data folder itself, or skips (fails under CI=true).
func Dir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(Path(t, "README.md"))
}

// dataDir is ../shared/data next to the module root (the folder with go.mod).
func dataDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
