package erasure_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/devauth"
	"github.com/partyfinder/partyfinder/shared/erasure"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// erasures is a store of erasure times.
type erasures struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (s *erasures) ErasedAt(_ context.Context, uid string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at[uid], nil
}

func (s *erasures) erase(uid string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at[uid] = at
}

// status is what the gate answers a GET of id.
func status(g *erasure.Gate, id identity.Identity) int {
	return statusOf(g, "GET", id)
}

// statusOf is what the gate answers a request of id with method.
func statusOf(g *erasure.Gate, method string, id identity.Identity) int {
	h := g.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(method, "/api/me", nil)
	req = req.WithContext(identity.With(req.Context(), id))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// The second an erasure falls in, and the erasure 0.4 s into it.
var (
	second = time.Date(2026, 8, 21, 23, 59, 30, 0, time.UTC)
	erased = second.Add(400 * time.Millisecond)
)

// A token is let through only if it was issued after the erasure. Dev
// tokens tell their issue time to the nanosecond; Firebase ID tokens (and
// older dev tokens) in whole seconds, rounded down, so one from the
// erasure's own second may be from before it and is refused.
func TestGateAroundAnErasure(t *testing.T) {
	tests := []struct {
		name   string
		erased time.Time // zero: never
		issued time.Time
		want   int
	}{
		{"never erased", time.Time{}, second, 200},
		{"precise: an hour before", erased, erased.Add(-time.Hour), 401},
		{"precise: a nanosecond before", erased, erased.Add(-time.Nanosecond), 401},
		{"precise: at the erasure", erased, erased, 401},
		// Firestore keeps microseconds, cut off: the erasure may have
		// happened anywhere in the microsecond it was recorded in.
		{"precise: in the microsecond the erasure was recorded in", erased, erased.Add(999 * time.Nanosecond), 401},
		{"precise: the next microsecond", erased, erased.Add(time.Microsecond), 200},
		{"precise: later in the same second", erased, erased.Add(200 * time.Millisecond), 200},
		{"precise: a later second", erased, erased.Add(time.Hour), 200},
		{"whole seconds: the second before", erased, second.Add(-time.Second), 401},
		{"whole seconds: the erasure's second, maybe before it", erased, second, 401},
		{"whole seconds: the next second", erased, second.Add(time.Second), 200},
		{"erased on a whole second: that second", second, second, 401},
		{"erased on a whole second: a microsecond later", second, second.Add(time.Microsecond), 200},
		{"erased on a whole second: the next second", second, second.Add(time.Second), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &erasures{at: map[string]time.Time{}}
			if !tt.erased.IsZero() {
				store.erase("ada", tt.erased)
			}
			if got := status(erasure.NewGate(store), identity.Identity{UID: "ada", IssuedAt: tt.issued}); got != tt.want {
				t.Errorf("token issued %s, erasure at %s: status %d, want %d",
					tt.issued.Format(time.RFC3339Nano), tt.erased.Format(time.RFC3339Nano), got, tt.want)
			}
		})
	}
}

// A user who erases their data and signs in again at once, within the
// same second, can use the new dev token; the tokens issued before the
// erasure, in that second too, stay refused.
func TestDevTokensAroundAnErasure(t *testing.T) {
	dev, err := devauth.New(filepath.Join(t.TempDir(), devauth.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		issued time.Time
		want   int
	}{
		{"the second before", erased.Add(-time.Second), 401},
		{"0.2 s before, same second", erased.Add(-200 * time.Millisecond), 401},
		{"a millisecond before", erased.Add(-time.Millisecond), 401},
		{"a millisecond after, same second", erased.Add(time.Millisecond), 200},
		{"0.5 s after, same second", erased.Add(500 * time.Millisecond), 200},
		{"the next second", erased.Add(time.Second), 200},
	}
	store := &erasures{at: map[string]time.Time{}}
	store.erase("ada", erased)
	h := httpapi.Authenticate(dev, erasure.NewGate(store).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev.Now = func() time.Time { return tt.issued }
			tok, err := dev.Issue("ada", nil, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			dev.Now = func() time.Time { return erased.Add(2 * time.Second) } // when it is verified
			req := httptest.NewRequest("GET", "/api/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("token issued %s, erasure at %s: status %d, want %d",
					tt.issued.Format(time.RFC3339Nano), erased.Format(time.RFC3339Nano), rec.Code, tt.want)
			}
		})
	}
}

// An erasure made through this process counts at once, even where the gate
// had already looked the user up.
func TestGateLearnsOfErasures(t *testing.T) {
	store := &erasures{at: map[string]time.Time{}}
	g := erasure.NewGate(store)
	old := identity.Identity{UID: "ada", IssuedAt: erased.Add(-time.Minute)}
	if got := status(g, old); got != 200 {
		t.Fatalf("before the erasure: status %d, want 200", got)
	}
	store.erase("ada", erased)
	g.Apply(context.Background(), attendee.UserErased{UID: "ada"})
	if got := status(g, old); got != 401 {
		t.Errorf("after the erasure: status %d, want 401", got)
	}
}

// An erasure made through another process (another function of the same
// deployment, which this one hears nothing from) stops a token from
// before it from writing at once, though this process had looked the
// user up and found no erasure: a write would recreate what was erased.
// Reads may use what was looked up, for a while.
func TestGateRefusesWritesAfterAnErasureElsewhere(t *testing.T) {
	store := &erasures{at: map[string]time.Time{}}
	g := erasure.NewGate(store)
	old := identity.Identity{UID: "ada", IssuedAt: erased.Add(-time.Minute)}
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if got := statusOf(g, method, old); got != 200 {
			t.Fatalf("%s before the erasure: status %d, want 200", method, got)
		}
	}
	store.erase("ada", erased) // elsewhere: no UserErased event here
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		if got := statusOf(g, method, old); got != 401 {
			t.Errorf("%s with a token from before an erasure made elsewhere: status %d, want 401", method, got)
		}
	}
	if got := statusOf(g, "GET", old); got != 401 {
		t.Errorf("a GET after the writes looked the erasure up: status %d, want 401", got)
	}
	fresh := identity.Identity{UID: "ada", IssuedAt: erased.Add(time.Minute)}
	if got := statusOf(g, "POST", fresh); got != 200 {
		t.Errorf("a token from after the erasure: status %d, want 200", got)
	}
}
