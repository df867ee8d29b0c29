package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// go-redis prints its own failures (every failed dial) to stderr. The
// tier reports what matters as errors, and the breaker keeps a dead
// Redis quiet, so the client's own lines go to the structured log at
// debug level instead. The client's logger is process-wide: set once.
var quietOnce sync.Once

type slogLogger struct{}

func (slogLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

func quietClientLogs() { quietOnce.Do(func() { goredis.SetLogger(slogLogger{}) }) }
