package hosting

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		{"/api/parties", "/api/parties", true},
		{"/api/parties", "/api/parties/x", false},
		{"/api/parties/**", "/api/parties/x", true},
		{"/api/parties/**", "/api/parties/x/calendar.ics", true},
		{"/api/parties/**", "/api/partiesx", false},
		{"/api/*/calendar.ics", "/api/x/calendar.ics", true},
		{"/api/*/calendar.ics", "/api/x/y/calendar.ics", false},
		{"/api/health", "/api/healthz", false},
	}
	for _, tt := range tests {
		if got := (Rewrite{Source: tt.glob}).Matches(tt.path); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.glob, tt.path, got, tt.want)
		}
	}
}

// Every shape of rewrite Hosting knows: a Cloud Run service (named in
// lower case), a function by name and by functionId, and a static
// destination, which is no function and is left out. The first match wins.
func TestLoadAndRoute(t *testing.T) {
	path := filepath.Join(t.TempDir(), "firebase.json")
	if err := os.WriteFile(path, []byte(`{"hosting":{"rewrites":[
		{"source":"/api/party-days","run":{"serviceId":"partydays","region":"europe-west1"}},
		{"source":"/api/parties/trending","function":"analytics"},
		{"source":"/api/parties/**","function":{"functionId":"parties","region":"europe-west1"}},
		{"source":"**","destination":"/index.html"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	rws, err := Load(path, []string{"partyDays", "parties", "analytics"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Rewrite{{"/api/party-days", "partyDays"}, {"/api/parties/trending", "analytics"}, {"/api/parties/**", "parties"}}
	if !slices.Equal(rws, want) {
		t.Fatalf("Load = %+v, want %+v", rws, want)
	}
	for path, fn := range map[string]string{
		"/api/party-days":         "partyDays",
		"/api/parties/trending":   "analytics",
		"/api/parties/p1":         "parties",
		"/api/parties/p1/cal.ics": "parties",
		"/api/nowhere":            "",
	} {
		i, ok := NewTable(rws).Route(path)
		got := ""
		if ok {
			got = rws[i].Function
		}
		if ok != (fn != "") || got != fn {
			t.Errorf("Route(%s) = %d, %v (%q); want %q", path, i, ok, got, fn)
		}
	}
}

func TestLoadRefusesAFileWithoutFunctions(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"none.json":    `{"hosting":{"rewrites":[{"source":"**","destination":"/index.html"}]}}`,
		"broken.json":  `{"hosting":`,
		"badname.json": `{"hosting":{"rewrites":[{"source":"/x","function":7}]}}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path, nil); err == nil {
			t.Errorf("%s: loaded without an error", name)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json"), nil); err == nil {
		t.Error("a missing file loaded without an error")
	}
}
