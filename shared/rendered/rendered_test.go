package rendered_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/rendered"
)

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

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip body does not open: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body does not decompress: %v", err)
	}
	return out
}

func serve(resp *rendered.Response, method string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/api/parties", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	resp.Serve(rec, req)
	return rec
}

func TestResponseETag(t *testing.T) {
	big := jsonBody(4000)
	bigChanged := bytes.Clone(big)
	bigChanged[len(bigChanged)/2] ^= 1 // one bit in the middle
	tests := []struct {
		name string
		a, b []byte
		same bool
	}{
		{"same bytes, small", []byte(`{"a":1}`), []byte(`{"a":1}`), true},
		{"same bytes, big", big, bytes.Clone(big), true},
		{"one byte differs, small", []byte(`{"a":1}`), []byte(`{"a":2}`), false},
		{"one bit differs, big", big, bigChanged, false},
		{"empty vs one space", []byte{}, []byte(" "), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra := rendered.New("application/json", "", tt.a)
			rb := rendered.New("application/json", "", tt.b)
			for _, tag := range []string{ra.ETag, rb.ETag} {
				if len(tag) < 3 || !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) {
					t.Errorf("ETag %q is not a quoted strong tag", tag)
				}
				if strings.Contains(tag[1:len(tag)-1], `"`) {
					t.Errorf("ETag %q has a quote inside", tag)
				}
			}
			if (ra.ETag == rb.ETag) != tt.same {
				t.Errorf("ETags %s and %s: equal = %v, want %v", ra.ETag, rb.ETag, ra.ETag == rb.ETag, tt.same)
			}
		})
	}
}

func TestResponseGzipThreshold(t *testing.T) {
	tests := []struct {
		size     int
		wantGzip bool
	}{
		{0, false}, {10, false}, {1023, false}, {1024, false}, {1025, true}, {200_000, true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.size), func(t *testing.T) {
			body := bytes.Repeat([]byte("a"), tt.size)
			resp := rendered.New("application/json", "public, max-age=60", body)
			if (resp.Gzip != nil) != tt.wantGzip {
				t.Fatalf("gzip built = %v, want %v", resp.Gzip != nil, tt.wantGzip)
			}
			rec := serve(resp, "GET", map[string]string{"Accept-Encoding": "gzip"})
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
				t.Errorf("served gzip = %v, want %v", got, tt.wantGzip)
			}
			if got := hasToken(rec.Header().Values("Vary"), "Accept-Encoding"); got != tt.wantGzip {
				t.Errorf("Vary: Accept-Encoding = %v, want %v (only when a gzip form exists)", got, tt.wantGzip)
			}
			if !tt.wantGzip && !bytes.Equal(rec.Body.Bytes(), body) {
				t.Errorf("small body changed")
			}
			if tt.wantGzip {
				if resp.GzipETag == "" || resp.GzipETag == resp.ETag {
					t.Errorf("gzip ETag %q must exist and differ from identity ETag %q", resp.GzipETag, resp.ETag)
				}
				if !bytes.Equal(gunzip(t, resp.Gzip), body) {
					t.Errorf("gzip form does not decompress to the body")
				}
			}
		})
	}
}

// headerTokens splits comma-separated header values into trimmed tokens.
func headerTokens(values []string) []string {
	var out []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

func hasToken(values []string, token string) bool {
	for _, v := range headerTokens(values) {
		if strings.EqualFold(v, token) {
			return true
		}
	}
	return false
}

func TestResponseServeEncoding(t *testing.T) {
	body := jsonBody(8000)
	resp := rendered.New("application/json; charset=utf-8", "public, max-age=60", body)
	tests := []struct {
		acceptEncoding string
		wantGzip       bool
	}{
		{"gzip", true},
		{"GZIP", true},
		{"gzip;q=0", false},
		{"gzip; q=0", false},
		{"gzip;q=0.0", false},
		{"gzip;q=0.5", true},
		{"br, gzip", true},
		{"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
		{"gzip, deflate, br, zstd", true},
		{"*", true},
		{"identity", false},
		{"br", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.acceptEncoding, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				rec := serve(resp, method, map[string]string{"Accept-Encoding": tt.acceptEncoding})
				h := rec.Header()
				if rec.Code != http.StatusOK {
					t.Fatalf("%s status = %d", method, rec.Code)
				}
				if got := h.Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
					t.Errorf("%s gzip = %v, want %v", method, got, tt.wantGzip)
				}
				if !hasToken(h.Values("Vary"), "Accept-Encoding") {
					t.Errorf("%s Vary = %q, want Accept-Encoding for a compressible body", method, h.Values("Vary"))
				}
				if h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("Cache-Control") != "public, max-age=60" {
					t.Errorf("%s headers: type %q cache %q", method, h.Get("Content-Type"), h.Get("Cache-Control"))
				}
				wantBytes, wantTag := body, resp.ETag
				if tt.wantGzip {
					wantBytes, wantTag = resp.Gzip, resp.GzipETag
				}
				if got := h.Get("ETag"); got != wantTag {
					t.Errorf("%s ETag = %q, want the tag of the bytes sent %q", method, got, wantTag)
				}
				if got := h.Get("Content-Length"); got != strconv.Itoa(len(wantBytes)) {
					t.Errorf("%s Content-Length = %q, want %d", method, got, len(wantBytes))
				}
				if method == "HEAD" {
					if rec.Body.Len() != 0 {
						t.Errorf("HEAD wrote %d body bytes", rec.Body.Len())
					}
					continue
				}
				if !bytes.Equal(rec.Body.Bytes(), wantBytes) {
					t.Errorf("GET body is not the expected representation")
				}
				got := rec.Body.Bytes()
				if tt.wantGzip {
					got = gunzip(t, got)
				}
				if !bytes.Equal(got, body) {
					t.Errorf("decoded body differs from the identity body")
				}
			}
		})
	}
}

func TestResponseConditional(t *testing.T) {
	body := jsonBody(8000)
	resp := rendered.New("application/json", "public, max-age=60", body)
	other := rendered.New("application/json", "", jsonBody(9000))
	tests := []struct {
		name, ifNoneMatch, acceptEncoding string
		want304                           bool
	}{
		{"identity tag", resp.ETag, "", true},
		{"gzip tag from a gzip client", resp.GzipETag, "gzip", true},
		{"gzip tag from an identity client", resp.GzipETag, "", true},
		{"identity tag from a gzip client", resp.ETag, "gzip", true},
		{"weak identity tag", "W/" + resp.ETag, "gzip", true},
		{"weak gzip tag", "W/" + resp.GzipETag, "gzip", true},
		{"list with match last", `"aaa", W/"bbb", ` + resp.ETag, "gzip", true},
		{"list with match first, no spaces", resp.GzipETag + `,"zzz"`, "", true},
		{"star", "*", "gzip", true},
		{"other content's tag", other.ETag, "gzip", false},
		{"list without match", `"aaa", ` + other.GzipETag, "gzip", false},
		{"unquoted tag", strings.Trim(resp.ETag, `"`), "", false},
		{"no header", "", "gzip", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				rec := serve(resp, method, map[string]string{"If-None-Match": tt.ifNoneMatch, "Accept-Encoding": tt.acceptEncoding})
				h := rec.Header()
				if !tt.want304 {
					if rec.Code != http.StatusOK {
						t.Errorf("%s status = %d, want 200", method, rec.Code)
					}
					if method == "GET" && rec.Body.Len() == 0 {
						t.Errorf("200 without a body")
					}
					continue
				}
				if rec.Code != http.StatusNotModified {
					t.Fatalf("%s status = %d, want 304", method, rec.Code)
				}
				if rec.Body.Len() != 0 {
					t.Errorf("%s 304 has a %d-byte body", method, rec.Body.Len())
				}
				for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Type"} {
					if v := h.Get(k); v != "" {
						t.Errorf("%s 304 carries %s: %q", method, k, v)
					}
				}
				// A 304 must still say what it validates and how to cache it.
				if h.Get("ETag") == "" || h.Get("Cache-Control") != "public, max-age=60" || !hasToken(h.Values("Vary"), "Accept-Encoding") {
					t.Errorf("%s 304 headers: ETag %q Cache-Control %q Vary %q", method, h.Get("ETag"), h.Get("Cache-Control"), h.Values("Vary"))
				}
			}
		})
	}
}

func TestResponseConditionalSmallBody(t *testing.T) {
	resp := rendered.New("application/json", "", []byte(`{"ok":true}`))
	for _, tt := range []struct {
		inm  string
		want int
	}{
		{resp.ETag, 304},
		{"W/" + resp.ETag, 304},
		{`"nope"`, 200},
	} {
		if rec := serve(resp, "GET", map[string]string{"If-None-Match": tt.inm, "Accept-Encoding": "gzip"}); rec.Code != tt.want {
			t.Errorf("If-None-Match %s: status %d, want %d", tt.inm, rec.Code, tt.want)
		}
	}
}

func TestResponseHeadersKept(t *testing.T) {
	resp := rendered.New("text/calendar; charset=utf-8", "", jsonBody(3000))
	resp.WithDisposition(`inline; filename="p.ics"`)
	req := httptest.NewRequest("GET", "/x.ics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	rec.Header().Add("Vary", "Origin") // set earlier by the CORS layer
	resp.Serve(rec, req)
	h := rec.Header()
	if got := headerTokens(h.Values("Vary")); !slices.Equal(got, []string{"Origin", "Accept-Encoding"}) {
		t.Errorf("Vary = %v, want Origin and Accept-Encoding", got)
	}
	if h.Get("Content-Disposition") != `inline; filename="p.ics"` {
		t.Errorf("Content-Disposition = %q", h.Get("Content-Disposition"))
	}
	if h.Get("Cache-Control") != "" {
		t.Errorf("Cache-Control = %q, want none when the response has none", h.Get("Cache-Control"))
	}
	if resp.Size() < len(resp.Body)+len(resp.Gzip) {
		t.Errorf("Size %d smaller than the bytes held", resp.Size())
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"gzip", true},
		{"GZIP", true},
		{"Gzip", true},
		{" gzip ", true},
		{"gzip;q=1", true},
		{"gzip;q=0.001", true},
		{"gzip;q=0", false},
		{"gzip;q=0.", false},
		{"gzip;q=0.000", false},
		{"gzip ; q=0", false},
		{"deflate, gzip", true},
		{"br, gzip", true},
		{"br;q=1, gzip;q=0", false},
		{"gzip;q=0, br", false},
		{"*", true},
		{"*;q=0", false},
		{"identity", false},
		{"identity, br", false},
		{"deflate", false},
		{"x-gzip-ish", false},
		{"gzipx", false},
		{"", false},
		{",,,", false},
	}
	for _, tt := range tests {
		if got := rendered.AcceptsGzip(tt.header); got != tt.want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
