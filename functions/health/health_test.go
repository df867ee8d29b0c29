package health_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/health"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

func TestHealth(t *testing.T) {
	up, err := sqlite.Open(filepath.Join(t.TempDir(), "up.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.Close() })
	down, err := sqlite.Open(filepath.Join(t.TempDir(), "down.db"))
	if err != nil {
		t.Fatal(err)
	}
	down.Close() // a closed store is an unreachable store

	now := time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		store      health.Pinger
		wantCode   int
		wantStatus string
		wantCheck  string
	}{
		{"store answers", up, http.StatusOK, "healthy", "up"},
		{"store unreachable", down, http.StatusServiceUnavailable, "unhealthy", "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := (&health.Handler{Version: "v1", Checks: map[string]health.Pinger{"store": tt.store}, Now: func() time.Time { return now }}).Routes()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/health", nil))
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantCode)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q: health must never be cached", cc)
			}
			var body struct {
				Status    string                  `json:"status"`
				Timestamp string                  `json:"timestamp"`
				Version   string                  `json:"version"`
				Checks    map[string]health.Check `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Status != tt.wantStatus || body.Version != "v1" || body.Timestamp != "2025-08-20T12:00:00Z" {
				t.Errorf("body = %+v", body)
			}
			if c := body.Checks["store"]; c.Status != tt.wantCheck {
				t.Errorf("store check = %+v, want %s", c, tt.wantCheck)
			}
			if c := body.Checks["store"]; c.Error != "" && c.Error != "unreachable" {
				t.Errorf("health leaks the failure cause: %q", c.Error)
			}
		})
	}
}
