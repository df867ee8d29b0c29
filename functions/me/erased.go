package me

import (
	"net/http"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// erasureCheckTTL is how long an instance trusts what it learned about a
// user's erasure. Erasures made through this instance count at once; on
// other instances a token from before an erasure may work for this long.
const erasureCheckTTL = 30 * time.Second

// Erasures refuses tokens issued before the user erased their data: an
// ID token stays valid for up to an hour, and a client holding one must not
// quietly recreate what the user asked to erase.
type Erasures struct {
	store attendee.Repository
	known *otter.Cache[string, time.Time]
}

// NewErasures returns the check over store.
func NewErasures(store attendee.Repository) *Erasures {
	return &Erasures{store: store, known: otter.Must(&otter.Options[string, time.Time]{
		MaximumSize:      100_000,
		ExpiryCalculator: otter.ExpiryWriting[string, time.Time](erasureCheckTTL),
	})}
}

// Wrap lets through requests whose identity's token is newer than the
// user's last erasure; others get 401, as if the token had expired.
func (e *Erasures) Wrap(next http.Handler) http.Handler {
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

// forget drops what is known about a user, after an erasure here.
func (e *Erasures) forget(uid string) {
	if e != nil {
		e.known.Invalidate(uid)
	}
}
