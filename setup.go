package partyfinder

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// Setup installs the process-wide logger, tracer provider and meter
// provider; readers are extra metric readers (the local runner's
// Prometheus endpoint). The returned function flushes the spans and
// metrics still buffered and stops the exporters: call it when the
// process ends, or they are lost.
func Setup(ctx context.Context, c Config, readers ...sdkmetric.Reader) (shutdown func(context.Context) error, err error) {
	slog.SetDefault(telemetry.NewLogger(os.Stdout, c.LogLevel, c.ProjectID))
	s := telemetry.Service{Name: "partyfinder", Version: c.Version, Project: c.ProjectID}
	stopTraces, err := telemetry.SetupTracing(ctx, c.TraceExporter, s, os.Stdout)
	if err != nil {
		return nil, err
	}
	stopMetrics, err := telemetry.SetupMetrics(ctx, c.MetricsExporter, s, os.Stdout, readers...)
	if err != nil {
		_ = stopTraces(ctx)
		return nil, err
	}
	return func(ctx context.Context) error {
		return errors.Join(stopTraces(ctx), stopMetrics(ctx))
	}, nil
}

// flushOnTerm flushes the spans and metrics when the platform stops the process: Cloud
// Run sends SIGTERM and kills the process ten seconds later. The
// Functions Framework owns the process's main, so this is the one place
// to hook in; after the flush the signal's default action (exit) runs.
func flushOnTerm(shutdown func(context.Context) error) {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if err := shutdown(ctx); err != nil {
			slog.Error("flush spans and metrics at shutdown", "error", err)
		}
		cancel()
		signal.Reset(syscall.SIGTERM)
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}()
}
