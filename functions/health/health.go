// Package health is the "health" function.
//
//	GET /api/health   200 {"status":"healthy",...} or 503 {"status":"unhealthy",...}
package health

import (
	"context"
	"net/http"
	"time"

	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Pinger is a dependency that can tell whether it answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Handler serves the health function.
type Handler struct {
	Version string
	Checks  map[string]Pinger // e.g. "store" -> the party store
	Now     func() time.Time
}

// Check is the outcome of one dependency check.
type Check struct {
	Status    string `json:"status"` // "up" or "down"
	LatencyMs int64  `json:"latencyMs"`
	Error     string `json:"error,omitempty"`
}

// Routes returns the function's router.
func (h *Handler) Routes() http.Handler {
	rt := httpapi.NewRouter()
	rt.Handle(http.MethodGet, "/api/health", h.health)
	return rt
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	status, code := "healthy", http.StatusOK
	checks := make(map[string]Check, len(h.Checks))
	for name, p := range h.Checks {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		start := time.Now()
		err := p.Ping(ctx)
		cancel()
		c := Check{Status: "up", LatencyMs: time.Since(start).Milliseconds()}
		if err != nil {
			// The reason stays in the logs; the public body says only "down".
			c.Status, c.Error = "down", "unreachable"
			status, code = "unhealthy", http.StatusServiceUnavailable
			httpapi.LogError(r, "health check failed", err, "check", name)
		}
		checks[name] = c
	}
	httpapi.JSON(w, code, map[string]any{
		"status":    status,
		"timestamp": now().UTC().Format(time.RFC3339),
		"version":   h.Version,
		"checks":    checks,
	})
}
