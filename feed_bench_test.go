package partyfinder

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// BenchmarkFeedRequest is one cached feed page through the parties
// function's whole middleware chain, in process: what the request metrics
// and SLO accounting cost on the hot path, with the metrics going nowhere
// (no provider) and into a real SDK meter provider.
func BenchmarkFeedRequest(b *testing.B) {
	for _, bc := range []struct {
		name     string
		provider bool
	}{{"no-metrics", false}, {"metrics", true}} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.provider {
				prev := otel.GetMeterProvider()
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				otel.SetMeterProvider(mp)
				b.Cleanup(func() { otel.SetMeterProvider(prev); _ = mp.Shutdown(b.Context()) })
			}
			store, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			conf, parties := demo.Data(time.Now())
			if _, err := store.CreateConference(b.Context(), conf); err != nil {
				b.Fatal(err)
			}
			if err := store.SaveParties(b.Context(), parties); err != nil {
				b.Fatal(err)
			}
			a := New(Config{Store: StoreSQLite, Local: true}, store, Auth{})
			b.Cleanup(func() { a.Close() })
			h := a.Handler(FnParties)
			req := httptest.NewRequest(http.MethodGet, "/api/parties?free=true", nil)
			h.ServeHTTP(httptest.NewRecorder(), req)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d", rec.Code)
					}
				}
			})
		})
	}
}
