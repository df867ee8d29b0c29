package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// problemBody is the problem document as a client decodes it. Pointers tell
// a missing member from a zero one.
type problemBody struct {
	Type    *string `json:"type"`
	Title   *string `json:"title"`
	Status  *int    `json:"status"`
	Detail  *string `json:"detail"`
	Code    *string `json:"code"`
	Success *bool   `json:"success"`
	Error   *string `json:"error"`
	Errors  []struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// decodeProblem checks that rec holds a complete problem response with the
// given status and returns its body.
func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) problemBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var p problemBody
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body is not JSON: %v: %s", err, rec.Body)
	}
	switch {
	case p.Type == nil || !strings.HasPrefix(*p.Type, "urn:partyfinder:problem:"):
		t.Errorf("type missing or foreign: %s", rec.Body)
	case p.Title == nil || *p.Title == "":
		t.Errorf("title missing: %s", rec.Body)
	case p.Status == nil || *p.Status != status:
		t.Errorf("status member missing or != %d: %s", status, rec.Body)
	case p.Detail == nil || *p.Detail == "":
		t.Errorf("detail missing: %s", rec.Body)
	case p.Code == nil || *p.Code == "":
		t.Errorf("code missing: %s", rec.Body)
	case p.Success == nil || *p.Success:
		t.Errorf("success missing or true: %s", rec.Body)
	case p.Error == nil || *p.Error != *p.Detail:
		t.Errorf("error missing or different from detail: %s", rec.Body)
	}
	return p
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureLogs sends the default logger to a buffer until the test ends.
// Tests that use it must not run in parallel.
func captureLogs(t *testing.T, level slog.Level) *lockedBuffer {
	t.Helper()
	buf := &lockedBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: level})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

// headerTokens splits comma-separated header values into trimmed tokens.
func headerTokens(values []string) []string {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func hasToken(values []string, token string) bool {
	for _, v := range headerTokens(values) {
		if strings.EqualFold(v, token) {
			return true
		}
	}
	return false
}

// jsonBody returns a JSON-looking body of at least n bytes.
func jsonBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i := 0; b.Len() < n-2; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"p` + strconv.Itoa(i) + `","title":"Party & friends"}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
