package firebaseauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/erasure"
	"github.com/partyfinder/partyfinder/shared/firebaseauth"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// erasedAt is a store that knows one erasure.
type erasedAt struct {
	uid string
	at  time.Time
}

func (s erasedAt) ErasedAt(_ context.Context, uid string) (time.Time, error) {
	if uid == s.uid {
		return s.at, nil
	}
	return time.Time{}, nil
}

// A Firebase ID token says in whole seconds when it was issued, so one from
// the second of the user's erasure may be from before it, and is refused:
// the token that made the erasure often is. Tokens from the seconds after
// are let through.
func TestFirebaseTokensAroundAnErasure(t *testing.T) {
	host := emulatorHost(t)
	u := signUpEmail(t, host)
	acceptOldTokens(t, host, u.UID)
	now := time.Now().Unix()
	second := now - 60 // the erasure's second, in the past so every iat below is too
	store := erasedAt{uid: u.UID, at: time.Unix(second, 400_000_000)}
	h := httpapi.Authenticate(firebaseauth.New(project), erasure.NewGate(store).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))

	tests := []struct {
		name string
		iat  int64
		want int
	}{
		{"the second before the erasure", second - 1, 401},
		{"the erasure's second", second, 401},
		{"the next second", second + 1, 200},
		{"a minute later", now, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := craft(t, u.IDToken, map[string]any{"iat": tt.iat, "exp": now + 600})
			req := httptest.NewRequest("GET", "/api/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("token with iat %d, erasure at %s: status %d, want %d: %s",
					tt.iat, store.at.UTC().Format(time.RFC3339Nano), rec.Code, tt.want, rec.Body)
			}
		})
	}
}
