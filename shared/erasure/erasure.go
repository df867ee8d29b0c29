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
// user's erasure for reads. Erasures made through this instance count at
// once; on other instances a token from before an erasure may read (what
// is left: nothing) for this long, but never write: a request that may
// change data looks the erasure up afresh.
const erasureCheckTTL = 30 * time.Second

// Store tells when a user's data was last erased.
type Store interface {
	ErasedAt(ctx context.Context, uid string) (time.Time, error)
}

// Gate lets through the requests of tokens issued after their user's last
// erasure. A token that says its issue time only in whole seconds (a
// Firebase ID token) counts as issued before an erasure in its second;
// see issuedAfter.
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

// Wrap lets through requests whose identity's token was issued after the
// user's last erasure; others get 401, as if the token had expired.
//
// A request that may write (any method but GET, HEAD and OPTIONS) reads
// the erasure time from the store every time: where each function runs
// in processes of its own (Cloud Run), the erasure may have been made
// through another one, and what this process remembers would let a
// token from before it recreate what was erased. Reads use what is
// remembered, for up to erasureCheckTTL.
func (e *Gate) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := identity.From(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		at, ok := e.known.GetIfPresent(id.UID)
		if !ok || !safe(r.Method) {
			var err error
			if at, err = e.store.ErasedAt(r.Context(), id.UID); err != nil {
				httpapi.Error(w, r, err)
				return
			}
			e.known.Set(id.UID, at)
		}
		if !at.IsZero() && !issuedAfter(id.IssuedAt, at) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="partyfinder", error="invalid_token"`)
			httpapi.Error(w, r, apperr.New(apperr.Unauthorized, "invalid or expired token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// safe reports whether a request of method only reads.
func safe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// issuedAfter reports whether a token issued at issued was surely issued
// after an erasure recorded at erased. Both times may be cut short, never
// rounded up, so each is at most the true instant:
//   - a token's issue time is to the nanosecond for dev tokens, but whole
//     seconds for Firebase ID tokens (iat, auth_time) and older dev tokens;
//   - a store keeps the erasure time to the nanosecond (SQLite) or the
//     microsecond (Firestore), so the erasure happened before the end of
//     the microsecond it was recorded in.
//
// So a token counts as issued after the erasure only from the end of that
// microsecond on. A Firebase token from the erasure's own second counts as
// issued before it, since it may be: the one the user erased with often
// is, freshly refreshed (or re-authenticated, as deleting an account asks)
// just before. The cost is on the user who signs in again within that
// same second: their new token is refused like an expired one, and the
// token the Firebase client refreshes after a 401 (getIdToken(true)) is
// from a later second and works. Firebase tokens carry nothing that tells
// when within its second a token was minted; letting that second through
// instead, as Firebase's own revocation check does, would let the token
// used for the erasure recreate what it erased.
func issuedAfter(issued, erased time.Time) bool {
	return !issued.Before(erased.Truncate(time.Microsecond).Add(time.Microsecond))
}

// Apply drops what is known about a user who erased their data through
// this process, so the erasure counts here at once.
func (e *Gate) Apply(_ context.Context, ev event.Event) {
	if u, ok := ev.(attendee.UserErased); ok {
		e.known.Invalidate(u.UID)
	}
}
