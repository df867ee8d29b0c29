package ugc_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/ugc"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/identity"
)

// The old form answers every problem at once too, in its own field
// names, and stores nothing.
func TestFormAnswersEveryProblemAtOnce(t *testing.T) {
	seeded := demotest.Store(t)
	organizer := identity.Identity{UID: "organizer-1", Roles: []identity.Role{identity.Organizer}}
	h := &ugc.Handler{
		Feed:       feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour}),
		Organizers: &command.Organizers{Store: seeded.Store},
		WriteAuth: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), organizer)))
			})
		},
	}
	srv := h.Routes()
	before, err := seeded.Store.PartiesOf(t.Context(), seeded.Conference.ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"a short name, an hour that is none, a day off the conference",
			`{"name":"x","creator":"Studio","date":"1999-01-01","startTime":"25:00","venue":"V"}`,
			map[string]string{"name": "min", "startTime": "format", "date": "range"}},
		{"a creator with a control character beside a malformed date",
			`{"name":"Bell Night","creator":"Stu\u0007dio","date":"01/02/2026","startTime":"20:00","venue":"V"}`,
			map[string]string{"creator": "format", "date": "format"}},
		{"everything missing", `{}`,
			map[string]string{"name": "required", "creator": "required", "date": "required", "startTime": "required", "venue": "required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/ugc/events/create", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			var p struct {
				Errors []struct{ Field, Code string } `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range p.Errors {
				if _, dup := got[f.Field]; dup {
					t.Errorf("field %s named twice", f.Field)
				}
				got[f.Field] = f.Code
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("fields %v, want %v", got, tt.want)
			}
		})
	}
	after, err := seeded.Store.PartiesOf(t.Context(), seeded.Conference.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("refused forms stored %d parties", len(after)-len(before))
	}
}
