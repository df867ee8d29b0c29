package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

type inner struct {
	Type string `json:"type"`
	N    int    `json:"n"`
}

type body struct {
	PartyID string            `json:"partyId"`
	Events  []inner           `json:"events"`
	Extra   map[string]string `json:"extra"`
}

func decodeBody(t *testing.T, s string) error {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(s))
	r.Header.Set("Content-Type", "application/json")
	var b body
	return httpapi.DecodeJSON(r, &b)
}

// Field names are exact and each may appear once: encoding/json alone
// would take {"PARTYID"} for partyId and let the last of two copies win.
func TestDecodeJSONKeys(t *testing.T) {
	tests := []struct {
		name, body string
		field      string // "" when it must decode
		code       string
	}{
		{"exact names", `{"partyId":"p1","events":[{"type":"a","n":1}],"extra":{"Any Key":"v"}}`, "", ""},
		{"name in other case", `{"PARTYID":"p1"}`, "PARTYID", "unknown"},
		{"nested name in other case", `{"events":[{"type":"a"},{"Type":"b"}]}`, "events[1].Type", "unknown"},
		{"key twice", `{"partyId":"p1","partyId":"p2"}`, "partyId", "conflict"},
		{"nested key twice", `{"events":[{"n":1,"n":2}]}`, "events[0].n", "conflict"},
		{"map key twice", `{"extra":{"k":"a","k":"b"}}`, "extra.k", "conflict"},
		{"unknown field", `{"partyID":"p1","owner":"me"}`, "partyID", "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeBody(t, tc.body)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field || e.Fields[0].Code != tc.code {
				t.Errorf("err = %v, want Invalid naming %s (%s)", err, tc.field, tc.code)
			}
		})
	}
}

// timeoutReader fails like a connection whose read deadline passed.
type timeoutReader struct{}

func (timeoutReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

// A body slower than the server's read timeout is a 408, not malformed
// JSON, and the connection closes after it.
func TestSlowBodyIsRequestTimeout(t *testing.T) {
	h := httpapi.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b body
		if err := httpapi.DecodeJSON(r, &b); err != nil {
			httpapi.Error(w, r, err)
		}
	}), httpapi.Options{Name: "test"})
	r := httptest.NewRequest(http.MethodPost, "/x", timeoutReader{})
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusRequestTimeout || rec.Header().Get("Connection") != "close" {
		t.Errorf("status %d, Connection %q: %s", rec.Code, rec.Header().Get("Connection"), rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"code":"request_timeout"`) {
		t.Errorf("body %s", rec.Body)
	}
}

// A body nested deeper than any request needs is refused by name, and
// reading it costs little memory however deep it goes: without the bound
// an 18,000-level body of 36 KB took half a gigabyte.
func TestDecodeJSONDepth(t *testing.T) {
	nested := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	tests := []struct {
		name, body string
		tooDeep    bool
	}{
		{"arrays at the limit", nested("[", "]", httpapi.MaxDepth), false},
		{"arrays one past the limit", nested("[", "]", httpapi.MaxDepth+1), true},
		{"18,000 arrays", nested("[", "]", 18000), true},
		{"objects one past the limit", `{"extra":` + strings.Repeat(`{"k":`, httpapi.MaxDepth) + "1" + strings.Repeat("}", httpapi.MaxDepth+1), true},
		{"deep inside a field", `{"extra":` + nested("[", "]", 18000) + `}`, true},
		{"an ordinary body", `{"partyId":"p1","events":[{"type":"a","n":1}]}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := decodeBody(t, tc.body)
			runtime.ReadMemStats(&after)
			e, _ := apperr.As(err)
			depthErr := e != nil && e.Kind == apperr.Invalid && len(e.Fields) == 1 &&
				e.Fields[0].Field == "body" && e.Fields[0].Code == "depth" &&
				strings.Contains(e.Fields[0].Message, strconv.Itoa(httpapi.MaxDepth))
			if depthErr != tc.tooDeep {
				t.Errorf("err = %v; want a depth error naming %d: %v", err, httpapi.MaxDepth, tc.tooDeep)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
				t.Errorf("decoding a %d-byte body allocated %d bytes; want at most 4 MiB", len(tc.body), got)
			}
		})
	}
}

// A parameter is named when it is unknown or given twice: the handler
// would otherwise read only the first of two values.
func TestOnlyParams(t *testing.T) {
	type fe struct{ field, code string }
	tests := []struct {
		raw  string
		want []fe
	}{
		{"conference=a&limit=5", nil},
		{"", nil},
		{"limit=1&limit=2", []fe{{"limit", "repeated"}}},
		{"conference=a&conference=a", []fe{{"conference", "repeated"}}},
		{"limit=1&limit=2&cursor=x&cursor=y", []fe{{"cursor", "repeated"}, {"limit", "repeated"}}},
		{"limt=5", []fe{{"limt", "unknown"}}},
		{"limt=5&limit=1&limit=1", []fe{{"limit", "repeated"}, {"limt", "unknown"}}},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			v, err := url.ParseQuery(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			err = httpapi.OnlyParams(v, "conference", "limit", "cursor")
			var got []fe
			if e, ok := apperr.As(err); ok {
				if e.Kind != apperr.Invalid {
					t.Fatalf("kind %s", e.Kind)
				}
				for _, f := range e.Fields {
					got = append(got, fe{f.Field, f.Code})
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("field errors %v, want %v", got, tc.want)
			}
		})
	}
}
