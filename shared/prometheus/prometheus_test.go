package prometheus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// The endpoint serves the application's instruments in the Prometheus
// text format, and only to clients on this machine.
func TestServesMetricsToThisMachineOnly(t *testing.T) {
	reader, h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	c, err := mp.Meter("test").Int64Counter("partyfinder.test.things")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(t.Context(), 3)
	h = LocalOnly(h)

	tests := []struct {
		name       string
		remoteAddr string
		header     string
		want       int
	}{
		{"loopback v4", "127.0.0.1:50000", "", http.StatusOK},
		{"loopback v6", "[::1]:50000", "", http.StatusOK},
		{"another host", "192.0.2.7:50000", "", http.StatusNotFound},
		{"forwarded by a local proxy", "127.0.0.1:50000", "X-Forwarded-For", http.StatusNotFound},
		{"RFC 7239 forwarded", "127.0.0.1:50000", "Forwarded", http.StatusNotFound},
		{"through a proxy", "127.0.0.1:50000", "Via", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.RemoteAddr = tc.remoteAddr
			if tc.header != "" {
				req.Header.Set(tc.header, "for=192.0.2.7")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			body := rec.Body.String()
			if tc.want == http.StatusOK {
				if !strings.Contains(body, "partyfinder_test_things_total") || !strings.Contains(body, "go_goroutines") {
					t.Errorf("the body lacks the application's or the runtime's metrics:\n%.2000s", body)
				}
			} else if strings.Contains(body, "partyfinder_") {
				t.Error("a refused client saw metrics")
			}
		})
	}
}
