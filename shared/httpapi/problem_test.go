package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

const genericDetail = "Something went wrong on our side. Please try again later."

func TestErrorStatusAndBody(t *testing.T) {
	secret := "dial tcp 10.0.0.7:5432: password authentication failed"
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantDetail string // "" means the generic detail
		wantLogged bool
	}{
		{"invalid", apperr.New(apperr.Invalid, "bad date"), 400, "invalid", "bad date", false},
		{"not found", apperr.New(apperr.NotFound, "no party %q", "x"), 404, "not_found", `no party "x"`, false},
		{"conflict", apperr.New(apperr.Conflict, "party exists"), 409, "conflict", "party exists", false},
		{"unauthorized", apperr.New(apperr.Unauthorized, "sign in"), 401, "unauthorized", "sign in", false},
		{"forbidden", apperr.New(apperr.Forbidden, "not yours"), 403, "forbidden", "not yours", false},
		{"rate limited", apperr.New(apperr.RateLimited, "slow down"), 429, "rate_limited", "slow down", false},
		{"unavailable", apperr.New(apperr.Unavailable, "store down"), 503, "unavailable", "store down", true},
		{"internal hides its message", apperr.New(apperr.Internal, "%s", secret), 500, "internal", "", true},
		{"plain error hides its message", errors.New(secret), 500, "internal", "", true},
		{"wrapped plain error", fmt.Errorf("load party: %w", errors.New(secret)), 500, "internal", "", true},
		// The wrapping prefix names internal operations: clients see only the apperr message.
		{"wrapped kind", fmt.Errorf("load party: %w", apperr.New(apperr.NotFound, "no party")), 404, "not_found", "no party", false},
		{"wrapped internal", fmt.Errorf("op: %w", apperr.New(apperr.Internal, "%s", secret)), 500, "internal", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLogs(t, slog.LevelInfo)
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/api/parties/x", nil)
			rec.Header().Set("ETag", `"stale"`) // set by a handler before it failed
			httpapi.Error(rec, req, tt.err)

			p := decodeProblem(t, rec, tt.wantStatus)
			if got := httpapi.StatusOf(tt.err); got != tt.wantStatus {
				t.Errorf("StatusOf = %d, want %d", got, tt.wantStatus)
			}
			if *p.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", *p.Code, tt.wantCode)
			}
			if *p.Type != "urn:partyfinder:problem:"+tt.wantCode {
				t.Errorf("type = %q", *p.Type)
			}
			if *p.Title != http.StatusText(tt.wantStatus) {
				t.Errorf("title = %q, want %q", *p.Title, http.StatusText(tt.wantStatus))
			}
			want := tt.wantDetail
			if want == "" {
				want = genericDetail
			}
			if *p.Detail != want {
				t.Errorf("detail = %q, want %q", *p.Detail, want)
			}
			if strings.Contains(rec.Body.String(), "password") || strings.Contains(rec.Body.String(), "load party") {
				t.Errorf("body leaks internals: %s", rec.Body)
			}
			if rec.Header().Get("ETag") != "" {
				t.Errorf("error response keeps ETag %q", rec.Header().Get("ETag"))
			}
			if got := rec.Header().Get("Retry-After") != ""; got != (tt.wantStatus == 503) {
				t.Errorf("Retry-After = %q for status %d", rec.Header().Get("Retry-After"), tt.wantStatus)
			}
			logged := logs.String()
			if tt.wantLogged {
				if !strings.Contains(logged, `"level":"ERROR"`) || !strings.Contains(logged, tt.err.Error()) {
					t.Errorf("server failure not logged with its cause; log: %s", logged)
				}
			} else if logged != "" {
				t.Errorf("client error logged: %s", logged)
			}
		})
	}
}

func TestErrorFieldErrors(t *testing.T) {
	err := fmt.Errorf("create party: %w", apperr.Fields("invalid party", []apperr.FieldError{
		{Field: "title", Code: "required", Message: "is required"},
		{Field: "link", Code: "format", Message: "must be an absolute http or https URL"},
	}))
	rec := httptest.NewRecorder()
	httpapi.Error(rec, httptest.NewRequest("POST", "/api/parties", nil), err)
	p := decodeProblem(t, rec, http.StatusBadRequest)
	if *p.Detail != "invalid party" {
		t.Errorf("detail = %q", *p.Detail)
	}

	// Check the wire names, not just what a struct happens to decode.
	var raw struct {
		Errors []map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"field": "title", "code": "required", "message": "is required"},
		{"field": "link", "code": "format", "message": "must be an absolute http or https URL"},
	}
	if len(raw.Errors) != len(want) {
		t.Fatalf("errors = %v, want %v", raw.Errors, want)
	}
	for i := range want {
		if fmt.Sprint(raw.Errors[i]) != fmt.Sprint(want[i]) {
			t.Errorf("errors[%d] = %v, want %v", i, raw.Errors[i], want[i])
		}
	}
}

func TestErrorWithoutFieldsOmitsErrors(t *testing.T) {
	rec := httptest.NewRecorder()
	httpapi.Error(rec, httptest.NewRequest("GET", "/x", nil), apperr.New(apperr.NotFound, "gone"))
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["errors"]; ok {
		t.Errorf("errors member present without field errors: %s", rec.Body)
	}
}

func TestJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	httpapi.JSON(rec, http.StatusCreated, map[string]any{"success": true, "id": "a&b"})
	if rec.Code != http.StatusCreated {
		t.Errorf("status = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["id"] != "a&b" || got["success"] != true {
		t.Errorf("body = %s (%v)", rec.Body, err)
	}
}

// However big the error, its answer is small: a bounded number of field
// errors, each clipped, and a clipped detail.
func TestProblemIsBounded(t *testing.T) {
	var fs []apperr.FieldError
	for i := range 10_000 {
		fs = append(fs, apperr.FieldError{Field: strings.Repeat("f", 5000), Code: "format", Message: fmt.Sprintf("value %d %s", i, strings.Repeat("m", 5000))})
	}
	err := &apperr.Error{Kind: apperr.Invalid, Message: strings.Repeat("d", 1<<20), Fields: fs}
	rec := httptest.NewRecorder()
	httpapi.Error(rec, httptest.NewRequest(http.MethodGet, "/api/parties", nil), err)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d", rec.Code)
	}
	if n := rec.Body.Len(); n > 32<<10 {
		t.Errorf("the problem body is %d bytes", n)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 20 || !strings.HasSuffix(p.Detail, "…") || !strings.HasPrefix(p.Errors[0].Message, "value 0 ") {
		t.Errorf("%d errors, detail %.20q…; want the first 20, clipped", len(p.Errors), p.Detail)
	}
}

// An answer repeats no more of a request than a few hundred bytes, marked
// as cut: a 900 KB path got a 900 KB problem back.
func TestProblemEchoesLittleOfTheRequest(t *testing.T) {
	huge := strings.Repeat("a", 900_000)
	rt := httpapi.NewRouter()
	rt.Handle("GET", "/api/conferences/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpapi.Error(w, r, apperr.New(apperr.NotFound, "no conference %q", r.PathValue("id")))
	})
	h := httpapi.Chain(rt, httpapi.Options{Name: "t"})
	for _, path := range []string{"/api/conferences/" + huge, "/api/nowhere/" + huge} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Fatalf("status %d", rec.Code)
		}
		if n := rec.Body.Len(); n > 2<<10 {
			t.Errorf("GET %.30s…: the problem body is %d bytes, want at most 2 KiB", path, n)
		}
		var p httpapi.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(p.Instance, "…") || !strings.HasPrefix(path, strings.TrimSuffix(p.Instance, "…")) {
			t.Errorf("instance %.40q… (%d bytes), want the path's start marked as cut", p.Instance, len(p.Instance))
		}
		if !strings.HasSuffix(p.Detail, "…") {
			t.Errorf("detail %.60q… (%d bytes), want it marked as cut", p.Detail, len(p.Detail))
		}
	}
}
