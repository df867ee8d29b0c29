package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// Limit is a token bucket: Rate requests per second on average, Burst at
// once.
type Limit struct {
	Rate  rate.Limit
	Burst int
}

// RateLimit lets each signed-in user through at most user's rate, and all
// anonymous callers of this instance together at most anonymous's: the
// address a request comes from is a proxy's on Cloud Run and forwarding
// headers can be forged, so anonymous callers are not told apart. Beyond
// the limit the answer is 429 with Retry-After. Buckets of users idle for
// ten minutes are forgotten.
func RateLimit(user, anonymous Limit, next http.Handler) http.Handler {
	buckets := otter.Must(&otter.Options[string, *rate.Limiter]{
		MaximumSize:      100_000,
		ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](10 * time.Minute),
	})
	anon := rate.NewLimiter(anonymous.Rate, anonymous.Burst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lim := anon
		if id, ok := identity.From(r.Context()); ok {
			lim, _ = buckets.Get(r.Context(), id.UID, otter.LoaderFunc[string, *rate.Limiter](func(_ context.Context, _ string) (*rate.Limiter, error) {
				return rate.NewLimiter(user.Rate, user.Burst), nil
			}))
		}
		res := lim.Reserve()
		if d := res.Delay(); !res.OK() || d > 0 {
			res.Cancel()
			secs := 1
			if res.OK() {
				secs = int(math.Ceil(d.Seconds()))
			}
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			Error(w, r, apperr.New(apperr.RateLimited, "too many requests: try again in %d s", max(secs, 1)))
			return
		}
		next.ServeHTTP(w, r)
	})
}
