package partyfinder

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Spans still buffered when the process ends reach the exporter: Setup
// hands back the function that flushes them.
func TestSetupFlushesSpansAtShutdown(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	oldProvider := otel.GetTracerProvider()
	t.Cleanup(func() { os.Stdout = stdout; otel.SetTracerProvider(oldProvider) })

	shutdown, err := Setup(context.Background(), Config{TraceExporter: "stdout", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// A sampled parent, as a traced request brings: the span is recorded.
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	_, span := otel.Tracer("test").Start(ctx, "flushed-at-shutdown")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Close()
	os.Stdout = stdout
	var out bytes.Buffer
	if _, err := io.Copy(&out, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "flushed-at-shutdown") {
		t.Errorf("the span was not exported by shutdown; stdout: %.300s", out.String())
	}
}
