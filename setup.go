package partyfinder

import (
	"context"
	"log/slog"
	"os"

	"github.com/partyfinder/partyfinder/shared/telemetry"
)

// Setup installs the process-wide logger and tracer provider.
func Setup(ctx context.Context, c Config) error {
	slog.SetDefault(telemetry.NewLogger(os.Stdout, c.LogLevel, c.ProjectID))
	_, err := telemetry.SetupTracing(ctx, c.TraceExporter, "partyfinder", c.Version, os.Stdout)
	return err
}
