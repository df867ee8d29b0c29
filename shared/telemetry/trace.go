package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"go.opentelemetry.io/contrib/detectors/gcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"golang.org/x/oauth2/google"
)

// Exporters that SetupTracing and SetupMetrics accept.
const (
	ExporterNone   = "none"
	ExporterStdout = "stdout"
	// ExporterOTLP sends OTLP over HTTP where the standard
	// OTEL_EXPORTER_OTLP_* variables say (a local collector, by default).
	ExporterOTLP = "otlp"
	// ExporterGCP sends OTLP to Google Cloud's Telemetry API
	// (telemetry.googleapis.com): traces to Cloud Trace, metrics to Cloud
	// Monitoring, as the instance's service account. It replaces Google's
	// own trace and monitoring exporters, which are deprecated.
	ExporterGCP = "gcp"
)

// telemetryAPI is Google Cloud's OTLP endpoint.
const telemetryAPI = "https://telemetry.googleapis.com"

// Service identifies the process in what it exports.
type Service struct {
	Name, Version string
	Project       string // the Google Cloud project ExporterGCP writes to
}

// SetupTracing installs the W3C trace-context propagator and, unless the
// exporter is "none", a tracer provider exporting to stdout (w), to an
// OTLP endpoint, or to Cloud Trace. With "none" spans are not recorded,
// but incoming trace ids still reach the logs. The returned function
// flushes and stops the exporter.
func SetupTracing(ctx context.Context, exporter string, s Service, w io.Writer) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	var exp sdktrace.SpanExporter
	var err error
	switch exporter {
	case "", ExporterNone:
		return func(context.Context) error { return nil }, nil
	case ExporterStdout:
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
	case ExporterOTLP:
		exp, err = otlptracehttp.New(ctx)
	case ExporterGCP:
		var c *http.Client
		if c, err = googleClient(ctx, s); err == nil {
			exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(telemetryAPI+"/v1/traces"),
				otlptracehttp.WithHTTPClient(c), otlptracehttp.WithHeaders(map[string]string{"x-goog-user-project": s.Project}))
		}
	default:
		return nil, fmt.Errorf("unknown trace exporter %q (want none, stdout, otlp or gcp)", exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("trace exporter %s: %w", exporter, err)
	}
	res, err := newResource(ctx, exporter, s)
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1))))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// newResource describes the process. On Google Cloud it adds what the
// platform knows (the Cloud Run service, revision and instance), so that
// each instance's metrics are series of their own.
func newResource(ctx context.Context, exporter string, s Service) (*resource.Resource, error) {
	if exporter != ExporterGCP {
		return describe(ctx, s, nil)
	}
	return describe(ctx, s, gcp.NewDetector())
}

// describe is the process's own attributes merged with what detector
// finds (nil: nothing). Ours carry no schema URL: the detector's follow a
// newer version of the semantic conventions than ours, and two resources
// of different schema URLs do not merge, which used to drop the
// detector's attributes (faas.instance among them) and left every
// instance exporting the same series.
func describe(ctx context.Context, s Service, detector resource.Detector) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{semconv.ServiceName(s.Name), semconv.ServiceVersion(s.Version)}
	if s.Project != "" {
		attrs = append(attrs, semconv.CloudAccountID(s.Project), attributeGCPProject.String(s.Project))
	}
	own := resource.NewSchemaless(attrs...)
	if detector == nil {
		return own, nil
	}
	found, err := resource.New(ctx, resource.WithDetectors(detector))
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("describe the instance: %w", err)
	}
	merged, err := resource.Merge(found, own) // ours win where both name a key
	if err != nil {
		return nil, fmt.Errorf("describe the instance: %w", err)
	}
	return merged, nil
}

// googleClient is an HTTP client that authenticates as the instance's
// service account (application default credentials).
func googleClient(ctx context.Context, s Service) (*http.Client, error) {
	if s.Project == "" {
		return nil, errors.New("the gcp exporter needs the project (GOOGLE_CLOUD_PROJECT)")
	}
	c, err := google.DefaultClient(context.WithoutCancel(ctx), "https://www.googleapis.com/auth/cloud-platform")
	if err != nil {
		return nil, fmt.Errorf("Google credentials: %w", err)
	}
	return c, nil
}
