package partyfinder

import (
	"net/http"

	"github.com/partyfinder/partyfinder/functions/health"
)

// FnHealth is the function's name, as registered with the Functions Framework.
const FnHealth = "health"

// Liveness and the store's readiness.
func init() {
	registerFunction(Function{Name: FnHealth, Base: "/api/health", build: func(a *app) http.Handler {
		return (&health.Handler{Version: a.Config.Version, Checks: map[string]health.Pinger{"store": a.Store}}).Routes()
	}})
}
