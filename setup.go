package partyfinder

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// Setup installs the process-wide logger and tracer provider. The
// returned function flushes the spans still buffered and stops the
// exporter: call it when the process ends, or they are lost.
func Setup(ctx context.Context, c Config) (shutdown func(context.Context) error, err error) {
	slog.SetDefault(telemetry.NewLogger(os.Stdout, c.LogLevel, c.ProjectID))
	return telemetry.SetupTracing(ctx, c.TraceExporter, "partyfinder", c.Version, os.Stdout)
}

// flushOnTerm flushes the spans when the platform stops the process: Cloud
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
			slog.Error("flush spans at shutdown", "error", err)
		}
		cancel()
		signal.Reset(syscall.SIGTERM)
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}()
}
