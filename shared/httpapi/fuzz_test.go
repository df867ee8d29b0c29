package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi"
)

// Any body decodes into the request type or is refused with a client
// error; what decodes survives a round trip unchanged.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"partyId":"p1","events":[{"type":"a","n":1}],"extra":{"k":"v"}}`,
		`{"PARTYID":"p1"}`, `{"partyId":"a","partyId":"b"}`, `{"events":[{"n":1e999}]}`,
		`{"partyId":"p1"} {"partyId":"p2"}`, `[]`, `{"extra":{"k":"a","k":"b"}}`, `{"partyId":"\ud800"}`,
		strings.Repeat("[", 18000) + strings.Repeat("]", 18000), `{"extra":` + strings.Repeat(`{"k":`, 40) + `1` + strings.Repeat("}", 41),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(s))
		r.Header.Set("Content-Type", "application/json")
		var b body
		if err := httpapi.DecodeJSON(r, &b); err != nil {
			if st := httpapi.StatusOf(err); st < 400 || st > 499 {
				t.Fatalf("status %d for %q: %v", st, s, err)
			}
			if _, ok := apperr.As(err); !ok {
				t.Fatalf("an unclassified error: %v", err)
			}
			return
		}
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(string(enc)))
		var again body
		if err := httpapi.DecodeJSON(r, &again); err != nil || !reflect.DeepEqual(b, again) {
			t.Fatalf("round trip of %s: %+v vs %+v (%v)", enc, b, again, err)
		}
	})
}
