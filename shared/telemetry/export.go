package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// attributeGCPProject names the project a resource's telemetry belongs
// to, as the Telemetry API reads it.
const attributeGCPProject = attribute.Key("gcp.project_id")

// MetricsInterval is how often metrics are pushed to a push exporter
// (stdout, otlp, gcp): Cloud Monitoring accepts a point per series every
// 5 s at most, and 60 s is its usual resolution.
var MetricsInterval = 60 * time.Second

// SetupMetrics installs the global meter provider, pushing to stdout (w),
// to an OTLP endpoint or to Cloud Monitoring every MetricsInterval, and
// read by any extra readers (the local runner's Prometheus endpoint).
// With "none" and no reader, instruments record nothing. The returned
// function pushes what is left and stops.
func SetupMetrics(ctx context.Context, exporter string, s Service, w io.Writer, readers ...sdkmetric.Reader) (func(context.Context) error, error) {
	var exp sdkmetric.Exporter
	var err error
	switch exporter {
	case "", ExporterNone:
	case ExporterStdout:
		exp, err = stdoutmetric.New(stdoutmetric.WithWriter(w))
	case ExporterOTLP:
		exp, err = otlpmetrichttp.New(ctx)
	case ExporterGCP:
		var c *http.Client
		if c, err = googleClient(ctx, s); err == nil {
			exp, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(telemetryAPI+"/v1/metrics"),
				otlpmetrichttp.WithHTTPClient(c), otlpmetrichttp.WithHeaders(map[string]string{"x-goog-user-project": s.Project}))
		}
	default:
		return nil, fmt.Errorf("unknown metrics exporter %q (want none, stdout, otlp or gcp)", exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("metrics exporter %s: %w", exporter, err)
	}
	if exp != nil {
		readers = append(readers, sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(MetricsInterval)))
	}
	if len(readers) == 0 {
		return func(context.Context) error { return nil }, nil
	}
	res, err := newResource(ctx, exporter, s)
	if err != nil {
		return nil, err
	}
	opts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	for _, r := range readers {
		opts = append(opts, sdkmetric.WithReader(r))
	}
	mp := sdkmetric.NewMeterProvider(opts...)
	otel.SetMeterProvider(mp)
	return func(ctx context.Context) error {
		return errors.Join(mp.ForceFlush(ctx), mp.Shutdown(ctx))
	}, nil
}
