// Package telemetry sets up structured logs, traces and metrics: slog JSON
// with the field names Cloud Logging understands; OpenTelemetry tracing and
// metrics with exporters chosen by configuration, under a resource that
// keeps the Cloud Run detector's attributes; the request, event, cache and
// import instruments; and the service level objectives each process tracks
// (SLOTracker), which the admin function reports.
package telemetry

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// ParseLevel reads a log level name (debug, info, warn, error); unknown names mean info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// NewLogger returns a JSON logger whose records Cloud Logging parses
// natively: "severity" and "message" instead of slog's "level" and "msg",
// and the request's trace and span ids under the logging.googleapis.com
// keys so log lines are grouped under their trace. projectID may be empty
// (local runs), in which case the bare trace id is logged.
func NewLogger(w io.Writer, level slog.Level, projectID string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.LevelKey:
				a.Key = "severity"
				if lvl, ok := a.Value.Any().(slog.Level); ok && lvl == slog.LevelWarn {
					a.Value = slog.StringValue("WARNING")
				}
			case slog.MessageKey:
				a.Key = "message"
			case slog.TimeKey:
				a.Key = "time"
			}
			return a
		},
	})
	return slog.New(contextHandler{Handler: h, projectID: projectID})
}

// contextHandler adds the request id and trace correlation from the context.
type contextHandler struct {
	slog.Handler
	projectID string
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("requestId", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		tr := sc.TraceID().String()
		if h.projectID != "" {
			tr = "projects/" + h.projectID + "/traces/" + tr
		}
		r.AddAttrs(
			slog.String("logging.googleapis.com/trace", tr),
			slog.String("logging.googleapis.com/spanId", sc.SpanID().String()),
			slog.Bool("logging.googleapis.com/trace_sampled", sc.IsSampled()),
		)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{Handler: h.Handler.WithAttrs(attrs), projectID: h.projectID}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{Handler: h.Handler.WithGroup(name), projectID: h.projectID}
}
