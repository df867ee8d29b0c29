package partyfinder

import (
	"net/http"
	"time"

	analyticsfn "github.com/partyfinder/partyfinder/functions/analytics"
)

// FnAnalytics is the function's name, as registered with the Functions Framework.
const FnAnalytics = "analytics"

// Trending, hotspots, per-party stats, and the clients' interaction reports.
func init() {
	registerFunction(Function{Name: FnAnalytics, Base: "/api/analytics", build: func(a *app) http.Handler {
		a.aggregator()
		h := &analyticsfn.Handler{Feed: a.feed(), Stats: a.Store, PublicStats: analyticsfn.CachedStats(a.Store, 5*time.Second), Events: a.reportEvents(),
			Limit: a.limitClients("analytics.events", analyticsfn.DefaultUserLimit, analyticsfn.DefaultClientLimit)}
		return a.identified(h.Routes())
	}})
}
