package telemetry

import (
	"context"
	"fmt"
	"io"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// Exporters that SetupTracing accepts.
const (
	ExporterNone   = "none"
	ExporterStdout = "stdout"
	ExporterOTLP   = "otlp"
)

// SetupTracing installs the W3C trace-context propagator and, unless the
// exporter is "none", a tracer provider exporting to stdout (w) or to an OTLP
// HTTP endpoint (configured by the standard OTEL_EXPORTER_OTLP_* variables).
// With "none" spans are not recorded, but incoming trace ids still reach the
// logs. The returned function flushes and stops the exporter.
func SetupTracing(ctx context.Context, exporter, service, version string, w io.Writer) (func(context.Context) error, error) {
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
	default:
		return nil, fmt.Errorf("unknown trace exporter %q (want none, stdout or otlp)", exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("trace exporter %s: %w", exporter, err)
	}
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(service), semconv.ServiceVersion(version))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1))))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}
