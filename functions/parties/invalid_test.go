package parties_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/partyfinder/partyfinder/shared/conference"
	"testing"
)

// problem is what these tests read of a 400.
type problem struct {
	Code   string `json:"code"`
	Fields []struct {
		Field string `json:"field"`
		Code  string `json:"code"`
	} `json:"errors"`
}

// send makes a write and returns its status and problem.
func send(t *testing.T, srv http.Handler, method, path, body string, headers ...string) (int, problem) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var p problem
	if rec.Code == http.StatusBadRequest {
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("%s %s: a 400 that is no problem: %s", method, path, rec.Body)
		}
	}
	return rec.Code, p
}

func fieldCodes(p problem) map[string]string {
	out := map[string]string{}
	for _, f := range p.Fields {
		if _, dup := out[f.Field]; dup {
			out[f.Field] += ",again"
			continue
		}
		out[f.Field] = f.Code
	}
	return out
}

// A write answers every problem of its body at once, field by field, in
// one 400, so a form can show them together: the shape of a field, what
// the conference's clock makes of it, the conference's days and
// categories, and the party's own rules. Each field is named once.
func TestWriteAnswersEveryProblemAtOnce(t *testing.T) {
	srv, seeded := writeServer(t)
	conf, err := seeded.Store.UpdateConference(t.Context(), seeded.Conference.ID, func(c *conference.Conference) error {
		c.Categories = []string{"Exec Social", "Indie Night"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ok := fmt.Sprintf(`"conferenceId":%q,"title":"Every Problem Night","venue":"Hall","date":%q,"time":"20:00"`, conf.ID, conf.FirstDay)
	tests := []struct {
		name string
		body string
		want map[string]string // field: code
	}{
		{"four problems in four stages",
			fmt.Sprintf(`{"conferenceId":%q,"title":"x","venue":"V","date":"1999-01-01","time":"25:00","link":"javascript:alert(1)"}`, conf.ID),
			map[string]string{"title": "min", "time": "format", "date": "range", "link": "format"}},
		{"missing fields with a bad one",
			fmt.Sprintf(`{"conferenceId":%q,"venue":"V","link":"ftp://x"}`, conf.ID),
			map[string]string{"title": "required", "date": "required", "time": "required", "link": "format"}},
		{"a category the conference does not offer and an end before the start",
			fmt.Sprintf(`{%s,"category":"Not Offered Here","endDate":%q,"endTime":"19:00"}`, ok, conf.FirstDay),
			map[string]string{"category": "oneof", "endTime": "range"}},
		{"a malformed date and lat without lng",
			fmt.Sprintf(`{"conferenceId":%q,"title":"Bad Date Night","venue":"V","date":"31.12.2026","time":"20:00","lat":50.9}`, conf.ID),
			map[string]string{"date": "format", "lat": "required_with"}},
		{"control characters beside a day off the conference",
			fmt.Sprintf(`{"conferenceId":%q,"title":"Bell\u0007Night","venue":"V","date":"2001-02-03","time":"20:00"}`, conf.ID),
			map[string]string{"title": "format", "date": "range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, p := send(t, srv, http.MethodPost, "/api/parties", tt.body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", status)
			}
			if got := fieldCodes(p); !maps.Equal(got, tt.want) {
				t.Errorf("fields %v, want %v", got, tt.want)
			}
		})
	}
	if status, _ := send(t, srv, http.MethodPost, "/api/parties", "{"+ok+"}"); status != http.StatusCreated {
		t.Fatalf("the valid body: status %d, want 201", status)
	}
}

// An edit answers every problem at once too, and changes nothing.
func TestEditAnswersEveryProblemAtOnce(t *testing.T) {
	srv, seeded := writeServer(t)
	conf := seeded.Conference
	a := write(t, srv, http.MethodPost, "/api/parties",
		fmt.Sprintf(`{"conferenceId":%q,"title":"Edited Night","venue":"Hall","date":%q,"time":"20:00","force":true}`, conf.ID, conf.FirstDay))
	status, p := send(t, srv, http.MethodPatch, "/api/parties/"+a.Data.ID,
		`{"title":"x","date":"1999-01-01","time":"25:00","link":"javascript:alert(1)"}`, "If-Match", `"v1"`)
	if status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", status)
	}
	want := map[string]string{"title": "min", "time": "format", "date": "range", "link": "format"}
	if got := fieldCodes(p); !maps.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	stored, err := seeded.Store.Party(t.Context(), a.Data.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Version != 1 || stored.Title != "Edited Night" {
		t.Errorf("a refused edit changed the party: version %d, title %q", stored.Version, stored.Title)
	}
	if keys := slices.Sorted(maps.Keys(fieldCodes(p))); len(keys) != 4 {
		t.Errorf("fields %v", keys)
	}
}
