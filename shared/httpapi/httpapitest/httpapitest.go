// Package httpapitest holds the checks handler tests make of the API's
// wire format: the application/problem+json document every error answer
// carries, the {"success":true,"data":...,"meta":...} envelope of a JSON
// answer, and serving one request through a handler.
package httpapitest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// ProblemType prefixes the code of a problem to make its type URI.
const ProblemType = "urn:partyfinder:problem:"

// Body is a problem document as a client decodes it.
type Body struct {
	Type    string       `json:"type"`
	Title   string       `json:"title"`
	Status  int          `json:"status"`
	Code    string       `json:"code"`
	Success bool         `json:"success"`
	Error   string       `json:"error"`
	Errors  []FieldError `json:"errors"`
}

// FieldError is one entry of a problem's errors: the field refused and why.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Fields returns the fields the problem's errors name, in their order, or
// nil when it names none.
func (b Body) Fields() []string {
	var fields []string
	for _, e := range b.Errors {
		fields = append(fields, e.Field)
	}
	return fields
}

// Names reports whether the problem's errors name field with a message
// that says what is wrong with it.
func (b Body) Names(field string) bool {
	for _, e := range b.Errors {
		if e.Field == field && e.Message != "" {
			return true
		}
	}
	return false
}

// Problem asserts that rec holds an application/problem+json answer of the
// given status and code: type ProblemType+code, the status text as title,
// the status and code repeated in the body, success:false and an error
// message; and that its errors name each of fields with a message (an
// empty field asks for nothing, so a table can leave it out). It returns
// the document for further checks. A wrong status or a body that is not
// JSON ends the test.
func Problem(t testing.TB, rec *httptest.ResponseRecorder, status int, code string, fields ...string) Body {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p struct {
		Body
		Success *bool `json:"success"` // a pointer tells a missing member from false
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem is not JSON: %v; %s", err, rec.Body)
	}
	b := p.Body
	b.Success = p.Success != nil && *p.Success
	if b.Type != ProblemType+code || b.Title != http.StatusText(status) || b.Status != status || b.Code != code {
		t.Errorf("problem type %q title %q status %d code %q, want %s, %q, %d, %s",
			b.Type, b.Title, b.Status, b.Code, ProblemType+code, http.StatusText(status), status, code)
	}
	if p.Success == nil || *p.Success || b.Error == "" {
		t.Errorf("problem success = %v error = %q: clients need success:false and a message", p.Success, b.Error)
	}
	for _, f := range fields {
		if f != "" && !b.Names(f) {
			t.Errorf("problem does not name the field %q: %+v", f, b.Errors)
		}
	}
	return b
}

// Decode decodes the JSON body of rec as a T; a body that does not decode
// ends the test.
func Decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response %d is not the JSON expected: %v\n%s", rec.Code, err, rec.Body)
	}
	return v
}

// Data asserts that rec holds an answer of the given status and, unless
// contentType is "", Content-Type in the {"success":true,"data":...}
// envelope, and decodes its data into data and, when meta is not nil, its
// meta into meta. A wrong status or a body that does not decode ends the
// test.
func Data(t testing.TB, rec *httptest.ResponseRecorder, status int, contentType string, data, meta any) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); contentType != "" && ct != contentType {
		t.Errorf("Content-Type = %q, want %q", ct, contentType)
	}
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
		Meta    json.RawMessage `json:"meta"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("body is not JSON: %v; %s", err, rec.Body)
	}
	if env.Success == nil || !*env.Success {
		t.Errorf("success = %v, want true", env.Success)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatalf("data %s: %v", env.Data, err)
	}
	if meta != nil {
		if err := json.Unmarshal(env.Meta, meta); err != nil {
			t.Fatalf("meta %s: %v", env.Meta, err)
		}
	}
}

// Serve sends one request through h and returns what it answered; body
// may be nil and headers holds name, value pairs.
func Serve(h http.Handler, method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
