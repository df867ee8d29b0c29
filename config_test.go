package partyfinder

import (
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr bool
	}{
		{name: "local defaults", env: nil, check: func(t *testing.T, c Config) {
			if c.Store != StoreSQLite || c.DBPath != DefaultDBPath || c.FeedRefresh != 5*time.Second || c.PopularityRefresh != 10*time.Minute || c.TraceExporter != "none" {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{name: "cloud run defaults to firestore", env: map[string]string{"K_SERVICE": "parties", EnvProject: "p"}, check: func(t *testing.T, c Config) {
			if c.Store != StoreFirestore {
				t.Errorf("store = %q", c.Store)
			}
		}},
		{name: "firestore needs a project", env: map[string]string{EnvStore: "firestore"}, wantErr: true},
		{name: "unknown store", env: map[string]string{EnvStore: "mysql"}, wantErr: true},
		{name: "bad refresh", env: map[string]string{EnvFeedRefresh: "soon"}, wantErr: true},
		{name: "bad popularity refresh", env: map[string]string{EnvPopularityRefresh: "-1m"}, wantErr: true},
		{name: "popularity refresh", env: map[string]string{EnvPopularityRefresh: "30s"}, check: func(t *testing.T, c Config) {
			if c.PopularityRefresh != 30*time.Second {
				t.Errorf("popularity refresh = %s", c.PopularityRefresh)
			}
		}},
		{name: "runner connection defaults", env: nil, check: func(t *testing.T, c Config) {
			if c.MaxConns != 4096 || c.IdleTimeout != 30*time.Second || c.Drain != time.Second {
				t.Errorf("max conns %d, idle timeout %s, drain %s", c.MaxConns, c.IdleTimeout, c.Drain)
			}
		}},
		{name: "runner connections", env: map[string]string{EnvMaxConns: "100", EnvIdleTimeout: "5s", EnvDrain: "0"}, check: func(t *testing.T, c Config) {
			if c.MaxConns != 100 || c.IdleTimeout != 5*time.Second || c.Drain != 0 {
				t.Errorf("max conns %d, idle timeout %s, drain %s", c.MaxConns, c.IdleTimeout, c.Drain)
			}
		}},
		{name: "no connections", env: map[string]string{EnvMaxConns: "0"}, wantErr: true},
		{name: "bad idle timeout", env: map[string]string{EnvIdleTimeout: "0s"}, wantErr: true},
		{name: "bad drain", env: map[string]string{EnvDrain: "-1s"}, wantErr: true},
		{name: "bad exporter", env: map[string]string{EnvTraceExporter: "zipkin"}, wantErr: true},
		{name: "bad metrics exporter", env: map[string]string{EnvMetricsExporter: "statsd"}, wantErr: true},
		{name: "google cloud export needs a project", env: map[string]string{EnvMetricsExporter: "gcp"}, wantErr: true},
		{name: "google cloud export", env: map[string]string{EnvMetricsExporter: "gcp", EnvTraceExporter: "gcp", EnvProject: "p"}, check: func(t *testing.T, c Config) {
			if c.MetricsExporter != "gcp" || c.TraceExporter != "gcp" {
				t.Errorf("exporters = %q, %q", c.TraceExporter, c.MetricsExporter)
			}
		}},
		{name: "origins split and trimmed", env: map[string]string{EnvCORSOrigins: " https://a.example , https://b--*.web.app,"}, check: func(t *testing.T, c Config) {
			if len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "https://b--*.web.app" {
				t.Errorf("origins = %q", c.CORSOrigins)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}
