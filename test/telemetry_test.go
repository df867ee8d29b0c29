package blackbox_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// No request path reaches a span or a log line as sent, whether a route
// matched it or not: a personal calendar's token and a share's code are
// secrets, and a preflight, a wrong method or an untidy path must not leak
// them into the trace exporter's or the access log's output.
func TestNoPathSecretInTracesOrLogs(t *testing.T) {
	skipOn(t, "it starts a runner of its own with spans and debug logs on standard output, the same whatever the target: the runner target's run covers it", targetFirestore, targetFunctions)
	s, err := startServerEnv(filepath.Join(t.TempDir(), "pf.db"),
		[]string{"PARTYFINDER_TRACE_EXPORTER=stdout", "LOG_LEVEL=debug"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	u := signIn(t, s, "")
	ps := partiesOf(t, s).published
	s.save(t, u, ps[0].ID)
	calendar := feedPath(t, s.calendarLink(t, u))
	token := strings.TrimSuffix(strings.TrimPrefix(calendar, "/api/calendar/u/"), ".ics")
	r := s.as(t, u, http.MethodPost, "/api/me/shares", `{"title":"Mine"}`)
	wantStatus(t, r, http.StatusCreated, "POST /api/me/shares")
	code := decode[envelope[shareJSON]](t, r).Data.Code
	if len(token) < 20 || len(code) < 20 {
		t.Fatalf("token %q, code %q: want secrets long enough to find", token, code)
	}

	const origin = "http://localhost:5173"
	for _, tc := range []struct {
		method, path string
		headers      []string
	}{
		{http.MethodGet, calendar, nil},
		{http.MethodOptions, calendar, []string{"Origin", origin, "Access-Control-Request-Method", "GET"}},
		{http.MethodPut, calendar, nil},
		{http.MethodGet, "/api/calendar/u//" + token + ".ics", nil},
		{http.MethodGet, "/api/calendar/" + token, nil},
		{http.MethodGet, "/api/shares/" + code, nil},
		{http.MethodDelete, "/api/shares/" + code, nil},
		{http.MethodOptions, "/api/shares/" + code, []string{"Origin", origin, "Access-Control-Request-Method", "DELETE"}},
	} {
		// A sampled caller's trace: the runner samples a tenth of the
		// rest, and every request here must leave its span.
		headers := append([]string{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, tc.headers...)
		r := s.send(t, tc.method, tc.path, nil, headers...)
		if r.Status >= 500 {
			t.Errorf("%s %s: status %d", tc.method, tc.path, r.Status)
		}
	}
	// The spans of the requests are written when they end; the runner's
	// batch exporter writes them at shutdown at the latest.
	s.stop()
	out := s.output()
	if !strings.Contains(out, `"url.path"`) || !strings.Contains(out, "requestUrl") {
		t.Fatalf("the output holds no span attributes or access log lines to check: %.2000s", out)
	}
	for name, secret := range map[string]string{"the calendar token": token, "the share code": code} {
		if i := strings.Index(out, secret); i >= 0 {
			t.Errorf("the runner's output holds %s: …%s…", name, out[max(0, i-300):min(len(out), i+100)])
		}
	}
}
