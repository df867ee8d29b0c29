// Package erasure refuses the tokens of users who erased their data since
// the token was issued: an ID token stays valid for up to an hour, and a
// client holding one must not quietly recreate what the user asked to erase.
package erasure

import (
	"context"
	"net/http"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// erasureCheckTTL is how long an instance trusts what it learned about a
// user's erasure. Erasures made through this instance count at once; on
// other instances a token from before an erasure may work for this long.
const erasureCheckTTL = 30 * time.Second

// Store tells when a user's data was last erased.
type Store interface {
	ErasedAt(ctx context.Context, uid string) (time.Time, error)
}

// Gate lets through the requests of tokens newer than their user's last
// erasure.
type Gate struct {
	store Store
	known *otter.Cache[string, time.Time]
}

// NewGate returns the check over store.
func NewGate(store Store) *Gate {
	return &Gate{store: store, known: otter.Must(&otter.Options[string, time.Time]{
		MaximumSize:      100_000,
		ExpiryCalculator: otter.ExpiryWriting[string, time.Time](erasureCheckTTL),
	})}
}

// Wrap lets through requests whose identity's token is newer than the
// user's last erasure; others get 401, as if the token had expired.
func (e *Gate) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := identity.From(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		at, ok := e.known.GetIfPresent(id.UID)
		if !ok {
			var err error
			if at, err = e.store.ErasedAt(r.Context(), id.UID); err != nil {
				httpapi.Error(w, r, err)
				return
			}
			e.known.Set(id.UID, at)
		}
		if !at.IsZero() && !id.IssuedAt.After(at) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="partyfinder", error="invalid_token"`)
			httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "invalid or expired token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Apply drops what is known about a user who erased their data through
// this process, so the erasure counts here at once.
func (e *Gate) Apply(_ context.Context, ev event.Event) {
	if u, ok := ev.(attendee.UserErased); ok {
		e.known.Invalidate(u.UID)
	}
}
