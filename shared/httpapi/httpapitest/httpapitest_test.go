package httpapitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
)

// recorder records what a check reports instead of failing the test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// failures runs check against a recorder and returns what it reported.
func failures(t *testing.T, check func(testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failures
}

func answer(status int, contentType, body string) *httptest.ResponseRecorder {
	return httpapitest.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}), "GET", "/", nil)
}

const invalid = `{"type":"urn:partyfinder:problem:invalid","title":"Bad Request","status":400,"code":"invalid",` +
	`"success":false,"error":"bad date","errors":[{"field":"date","code":"format","message":"not a date"},{"field":"x","code":"unknown"}]}`

func TestProblem(t *testing.T) {
	p := httpapitest.Problem(t, answer(400, "application/problem+json", invalid), 400, "invalid", "date", "")
	if !slices.Equal(p.Fields(), []string{"date", "x"}) || !p.Names("date") || p.Names("x") || p.Success {
		t.Errorf("body %+v", p)
	}
	for name, tt := range map[string]struct {
		rec    *httptest.ResponseRecorder
		status int
		code   string
		fields []string
	}{
		"other status":       {answer(400, "application/problem+json", invalid), 404, "invalid", nil},
		"other code":         {answer(400, "application/problem+json", invalid), 400, "not_found", nil},
		"plain JSON":         {answer(400, "application/json", invalid), 400, "invalid", nil},
		"no success member":  {answer(400, "application/problem+json", strings.Replace(invalid, `"success":false,`, "", 1)), 400, "invalid", nil},
		"no error message":   {answer(400, "application/problem+json", strings.Replace(invalid, `"bad date"`, `""`, 1)), 400, "invalid", nil},
		"field not named":    {answer(400, "application/problem+json", invalid), 400, "invalid", []string{"limit"}},
		"field without text": {answer(400, "application/problem+json", invalid), 400, "invalid", []string{"x"}},
		"not JSON":           {answer(400, "application/problem+json", "oops"), 400, "invalid", nil},
	} {
		t.Run(name, func(t *testing.T) {
			if got := failures(t, func(tb testing.TB) { httpapitest.Problem(tb, tt.rec, tt.status, tt.code, tt.fields...) }); len(got) == 0 {
				t.Error("passed")
			}
		})
	}
}

func TestData(t *testing.T) {
	var data []int
	var meta struct{ Total int }
	httpapitest.Data(t, answer(200, "application/json", `{"success":true,"data":[1,2],"meta":{"total":2}}`), 200, "application/json", &data, &meta)
	if !slices.Equal(data, []int{1, 2}) || meta.Total != 2 {
		t.Errorf("data %v meta %+v", data, meta)
	}
	httpapitest.Data(t, answer(201, "text/whatever", `{"success":true,"data":[]}`), 201, "", &data, nil)
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"other status":       answer(202, "application/json", `{"success":true,"data":[]}`),
		"other content type": answer(200, "text/plain", `{"success":true,"data":[]}`),
		"success false":      answer(200, "application/json", `{"success":false,"data":[]}`),
		"no success member":  answer(200, "application/json", `{"data":[]}`),
		"data of another":    answer(200, "application/json", `{"success":true,"data":{}}`),
	} {
		t.Run(name, func(t *testing.T) {
			if got := failures(t, func(tb testing.TB) { httpapitest.Data(tb, rec, 200, "application/json", &data, nil) }); len(got) == 0 {
				t.Error("passed")
			}
		})
	}
}

func TestServe(t *testing.T) {
	rec := httpapitest.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Method, " ", r.URL, " ", r.Header.Get("A"), r.Header.Get("B"), " ")
		io.Copy(w, r.Body)
	}), "PUT", "/x?y=1", strings.NewReader("body"), "A", "1", "B", "2")
	if got := rec.Body.String(); got != "PUT /x?y=1 12 body" {
		t.Errorf("handler saw %q", got)
	}
}
