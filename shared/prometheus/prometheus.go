// Package prometheus serves the application's OpenTelemetry metrics in
// the Prometheus text format, for the local runner: a Prometheus server
// (or curl) on the same machine scrapes GET /metrics. Deployed functions
// push to Cloud Monitoring instead and never link this package.
package prometheus

import (
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// New returns a metric reader to install in the meter provider and the
// handler that serves what it reads, with the Go runtime's and the
// process's own metrics beside the application's.
func New() (sdkmetric.Reader, http.Handler, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reader, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, err
	}
	return reader, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// LocalOnly serves h to clients on this machine alone: a loopback peer
// that no proxy forwarded for. Anyone else gets 404, as if there were
// nothing here: metrics name routes, versions and volumes, which are no
// one else's business on a server that listens on every interface.
func LocalOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fromThisMachine(r) {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func fromThisMachine(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "Via"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
