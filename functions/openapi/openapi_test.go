package openapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/partyfinder/partyfinder/functions/openapi"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/httpapi"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
)

const path = "/api/openapi.yaml"

func TestServesTheSpec(t *testing.T) {
	rec := httpapitest.Serve(openapi.Routes(), "GET", path, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; body %.200s", rec.Code, rec.Body)
	}
	h := rec.Header()
	if ct := h.Get("Content-Type"); ct != "application/yaml; charset=utf-8" {
		t.Errorf("Content-Type = %q, want application/yaml; charset=utf-8", ct)
	}
	if cc := h.Get("Cache-Control"); cc != feed.CacheStatic {
		t.Errorf("Cache-Control = %q, want %q", cc, feed.CacheStatic)
	}
	if !bytes.Equal(rec.Body.Bytes(), openapi.Spec) {
		t.Error("body is not the embedded spec")
	}
	if !strings.HasPrefix(rec.Body.String(), "openapi: 3.1") {
		t.Errorf("body does not start as an OpenAPI 3.1 document: %.40q", rec.Body)
	}
	if cl := h.Get("Content-Length"); cl != strconv.Itoa(len(openapi.Spec)) {
		t.Errorf("Content-Length = %q, want %d", cl, len(openapi.Spec))
	}
}

// Tools that poll the contract revalidate cheaply and may take it gzipped.
func TestConditionalAndCompressed(t *testing.T) {
	plain := httpapitest.Serve(openapi.Routes(), "GET", path, nil)
	tag := plain.Header().Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	zipped := httpapitest.Serve(openapi.Routes(), "GET", path, nil, "Accept-Encoding", "gzip")
	ztag := zipped.Header().Get("ETag")
	if zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip for a %d-byte spec", zipped.Header().Get("Content-Encoding"), len(openapi.Spec))
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	if body, err := io.ReadAll(zr); err != nil || !bytes.Equal(body, openapi.Spec) {
		t.Errorf("gzip body does not decode to the spec (%v)", err)
	}
	if ztag == "" || ztag == tag {
		t.Errorf("gzip ETag %q must exist and differ from the plain one %q", ztag, tag)
	}

	tests := []struct {
		name, ifNoneMatch, acceptEncoding string
		want                              int
	}{
		{"plain tag", tag, "", http.StatusNotModified},
		{"gzip tag", ztag, "gzip", http.StatusNotModified},
		{"weak form of the tag", "W/" + tag, "", http.StatusNotModified},
		{"tag in a list", `"old", ` + tag, "", http.StatusNotModified},
		{"another tag", `"old"`, "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httpapitest.Serve(openapi.Routes(), "GET", path, nil, "If-None-Match", tt.ifNoneMatch, "Accept-Encoding", tt.acceptEncoding)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d", rec.Code, tt.want)
			}
			if tt.want == http.StatusNotModified && rec.Body.Len() != 0 {
				t.Errorf("304 with a %d-byte body", rec.Body.Len())
			}
			if tt.want == http.StatusOK && !bytes.Equal(rec.Body.Bytes(), openapi.Spec) {
				t.Error("200 without the spec")
			}
		})
	}
}

func TestHeadHasNoBody(t *testing.T) {
	rec := httpapitest.Serve(openapi.Routes(), "HEAD", path, nil)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, %d body bytes; want 200 and none", rec.Code, rec.Body.Len())
	}
	if rec.Header().Get("ETag") == "" {
		t.Error("HEAD without an ETag")
	}
}

func TestWrongMethodAndPath(t *testing.T) {
	tests := []struct {
		method, target string
		status         int
		code           string
	}{
		{"POST", path, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"GET", "/api/openapi.json", http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := httpapitest.Serve(openapi.Routes(), tt.method, tt.target, nil)
			httpapitest.Problem(t, rec, tt.status, tt.code)
			if tt.status == http.StatusMethodNotAllowed && !strings.Contains(rec.Header().Get("Allow"), "GET") {
				t.Errorf("Allow = %q, want GET listed", rec.Header().Get("Allow"))
			}
		})
	}
}

// The served document is a valid OpenAPI document: a typo in the YAML
// or a broken reference fails here, not only in the black-box suite.
func TestSpecIsValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Spec)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// Every request header an operation of the contract reads can be sent by
// a browser page on an allowed origin: the preflight allows it.
func TestPreflightAllowsTheContractsHeaders(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	const origin = "https://app.example"
	rt := httpapi.NewRouter()
	rt.Handle("POST", "/x", func(http.ResponseWriter, *http.Request) {})
	h := httpapi.Chain(rt, httpapi.Options{CORS: httpapi.NewCORS([]string{origin})})
	req := httptest.NewRequest(http.MethodOptions, "/x", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	allowed := map[string]bool{}
	for _, v := range rec.Header().Values("Access-Control-Allow-Headers") {
		for name := range strings.SplitSeq(v, ",") {
			allowed[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	seen := 0
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, ref := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if ref.Value == nil || ref.Value.In != openapi3.ParameterInHeader {
					continue
				}
				seen++
				if name := http.CanonicalHeaderKey(ref.Value.Name); !allowed[name] {
					t.Errorf("%s %s reads the header %s, which the preflight does not allow (%v)", method, p, name, rec.Header().Values("Access-Control-Allow-Headers"))
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("the contract declares no request header: this test checks nothing")
	}
}
