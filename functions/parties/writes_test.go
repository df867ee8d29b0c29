package parties_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/functions/parties"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

// writeServer mounts the function with its writes over the seeded store,
// every write made by an admin.
func writeServer(t *testing.T) (http.Handler, demotest.Seeded) {
	t.Helper()
	seeded := demotest.Store(t)
	admin := identity.Identity{UID: "admin-1", Roles: []identity.Role{identity.Admin}}
	h := &parties.Handler{
		Feed:       feed.NewCache(seeded.Store, feed.Options{Refresh: time.Hour}),
		Organizers: &command.Organizers{Store: seeded.Store},
		Stored:     seeded.Store,
		WriteAuth: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), admin)))
			})
		},
	}
	return h.Routes(), seeded
}

// writeAnswer is what these tests read of a write's answer.
type writeAnswer struct {
	Success bool `json:"success"`
	Data    struct {
		ID string `json:"id"`
	} `json:"data"`
	Warnings []struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"warnings"`
}

func write(t *testing.T, srv http.Handler, method, path, body string, headers ...string) writeAnswer {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	var a writeAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || !a.Success || a.Warnings == nil {
		t.Fatalf("%s %s: %v %s, want a success with a warnings array", method, path, err, rec.Body)
	}
	return a
}

// TestWriteWarnings checks that a submission or an edit that makes a party
// of 24 hours or more is stored and answered with a warning saying so, and
// that ordinary nights are not.
func TestWriteWarnings(t *testing.T) {
	srv, seeded := writeServer(t)
	conf := seeded.Conference
	day := conf.FirstDay
	next, _ := time.Parse("2006-01-02", day)
	nextDay := next.AddDate(0, 0, 1).Format("2006-01-02")
	tests := []struct {
		name  string
		times string // the JSON fields of the start and end
		long  bool
	}{
		{"26 hours", fmt.Sprintf(`"date":%q,"time":"18:00","endDate":%q,"endTime":"20:00"`, day, nextDay), true},
		{"exactly 24 hours", fmt.Sprintf(`"date":%q,"time":"18:00","endDate":%q,"endTime":"18:00"`, day, nextDay), true},
		{"until 07:00 the next day", fmt.Sprintf(`"date":%q,"time":"20:00","endTime":"07:00"`, day), false},
		{"an evening", fmt.Sprintf(`"date":%q,"time":"18:00","endTime":"23:00"`, day), false},
		{"open end", fmt.Sprintf(`"date":%q,"time":"18:00"`, day), false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"conferenceId":%q,"title":"Long Night %d","venue":"Warning Hall %d","force":true,%s}`, conf.ID, i, i, tt.times)
			a := write(t, srv, http.MethodPost, "/api/parties", body)
			checkLong(t, "POST", a, tt.long)

			// Every edit is answered with the party's warnings too: an
			// edit that moves the end a day on, and one that moves it back.
			a = write(t, srv, http.MethodPatch, "/api/parties/"+a.Data.ID,
				fmt.Sprintf(`{"endDate":%q,"endTime":"21:00"}`, nextDay), "If-Match", `"v1"`)
			checkLong(t, "PATCH to 21:00 the next day", a, true)
			a = write(t, srv, http.MethodPatch, "/api/parties/"+a.Data.ID, `{"endTime":"23:00"}`, "If-Match", `"v2"`)
			checkLong(t, "PATCH back to 23:00", a, false)
		})
	}
}

func checkLong(t *testing.T, what string, a writeAnswer, long bool) {
	t.Helper()
	var codes []string
	for _, w := range a.Warnings {
		codes = append(codes, w.Code)
	}
	var want []string
	if long {
		want = []string{party.WarnLong}
	}
	if !slices.Equal(codes, want) || long && (a.Warnings[0].Field != "end" || !strings.Contains(a.Warnings[0].Message, "24 hours or more is unusually long")) {
		t.Errorf("%s: warnings %+v, want %v", what, a.Warnings, want)
	}
}
