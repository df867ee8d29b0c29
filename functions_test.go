package partyfinder

import (
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

// TestRegisteredFunctionsServe starts the Functions Framework the way Cloud
// Run does (FUNCTION_TARGET names the function; every path reaches it) for
// each registered function, on a fresh embedded store, and checks that it
// answers both behind the hosting rewrite path and on its own URL.
func TestRegisteredFunctionsServe(t *testing.T) {
	t.Setenv(EnvStore, StoreSQLite)
	t.Setenv(EnvDB, t.TempDir()+"/fn.db")
	t.Setenv("K_SERVICE", "")
	tests := []struct {
		function string
		path     string
		want     int
	}{
		{FnHealth, "/api/health", http.StatusOK},
		{FnHealth, "/", http.StatusOK},
		{FnOpenAPI, "/api/openapi.yaml", http.StatusOK},
		{FnOpenAPI, "/", http.StatusOK},
		{FnConferences, "/api/conferences", http.StatusOK},
		{FnConferences, "/nope", http.StatusNotFound},
		{FnParties, "/api/parties", http.StatusNotFound}, // empty store: no conference yet
		{FnPartyDays, "/api/party-days?conference=none", http.StatusNotFound},
		{FnCalendar, "/api/calendar/ics", http.StatusBadRequest}, // partyId missing
	}
	started := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.function+tt.path, func(t *testing.T) {
			base, ok := started[tt.function]
			if !ok {
				base = start(t, tt.function)
				started[tt.function] = base
			}
			resp, err := http.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET %s on %s = %d, want %d", tt.path, tt.function, resp.StatusCode, tt.want)
			}
		})
	}
}

// start serves one registered function with the Functions Framework.
func start(t *testing.T, function string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	t.Setenv("FUNCTION_TARGET", function)
	errc := make(chan error, 1)
	// The framework offers no way to stop its server; it ends with the test binary.
	go func() { errc <- funcframework.StartHostPort("127.0.0.1", fmt.Sprint(port)) }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			t.Fatalf("functions framework for %s: %v", function, err)
		default:
		}
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			return base
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("function %s did not start", function)
	return ""
}
