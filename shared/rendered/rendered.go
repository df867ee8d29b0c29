// Package rendered holds finished responses: bytes serialized and
// compressed once, with their strong ETags and prebuilt header values, so
// read paths that cache them only write bytes. It depends on nothing of
// the HTTP edge (middleware, validation, telemetry exporters), so read
// models can build responses without pulling those in.
package rendered

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// gzipThreshold is the body size below which compression is not worth its header.
const gzipThreshold = 1024

// Response is a fully built response body, serialized and compressed once
// when it is cached, so the hot read path only writes bytes.
type Response struct {
	ContentType        string
	CacheControl       string
	Body               []byte
	Gzip               []byte // nil when the body is too small to be worth compressing
	ETag               string // strong, over Body
	GzipETag           string // strong, over Gzip
	ContentDisposition string

	// Header values, built once: the hot path assigns these shared slices
	// instead of allocating one per header per request.
	hType, hCache, hDisp, hTag, hGzipTag, hLen, hGzipLen []string
}

var (
	hGzip         = []string{"gzip"}
	hVaryEncoding = []string{"Accept-Encoding"}
)

// headers fills the shared header slices from the fields.
func (resp *Response) headers() {
	one := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	resp.hType, resp.hCache, resp.hDisp = one(resp.ContentType), one(resp.CacheControl), one(resp.ContentDisposition)
	resp.hTag, resp.hGzipTag = one(resp.ETag), one(resp.GzipETag)
	resp.hLen = one(strconv.Itoa(len(resp.Body)))
	if resp.Gzip != nil {
		resp.hGzipLen = one(strconv.Itoa(len(resp.Gzip)))
	}
}

// New builds a Response: it computes the strong ETags and the
// gzip encoding (for bodies over 1 KB). The default level, not the best:
// it is within a few percent in size at less than half the CPU, and pages
// are rebuilt after every data change.
func New(contentType, cacheControl string, body []byte) *Response {
	r := &Response{ContentType: contentType, CacheControl: cacheControl, Body: body}
	r.ETag = etag(body)
	if len(body) > gzipThreshold {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		r.Gzip = buf.Bytes()
		r.GzipETag = etag(r.Gzip)
	}
	r.headers()
	return r
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// WithDisposition sets the Content-Disposition header; call it before the
// response is shared, as a Response is read concurrently afterwards.
func (resp *Response) WithDisposition(d string) *Response {
	resp.ContentDisposition = d
	resp.headers()
	return resp
}

// Size returns the bytes the response holds, for cache weighing.
func (resp *Response) Size() int { return len(resp.Body) + len(resp.Gzip) + 256 }

// Serve writes the response: 304 when If-None-Match matches either
// encoding's ETag, the gzip bytes when the client accepts them, the plain
// bytes otherwise. HEAD gets the headers only.
func (resp *Response) Serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = resp.hType
	if resp.hCache != nil {
		h["Cache-Control"] = resp.hCache
	}
	if resp.hDisp != nil {
		h["Content-Disposition"] = resp.hDisp
	}
	body, tag, length := resp.Body, resp.hTag, resp.hLen
	if resp.Gzip != nil {
		if v := h["Vary"]; v == nil {
			h["Vary"] = hVaryEncoding
		} else {
			h["Vary"] = append(v, "Accept-Encoding")
		}
		if AcceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, tag, length = resp.Gzip, resp.hGzipTag, resp.hGzipLen
			h["Content-Encoding"] = hGzip
		}
	}
	h["Etag"] = tag
	if inm := r.Header.Get("If-None-Match"); inm != "" && resp.matches(inm) {
		delete(h, "Content-Type")
		delete(h, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = length
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// matches implements If-None-Match's weak comparison against both encodings:
// a client holding either representation has current content.
func (resp *Response) matches(header string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == resp.ETag || (resp.GzipETag != "" && t == resp.GzipETag) {
			return true
		}
	}
	return false
}

// AcceptsGzip reports whether an Accept-Encoding header allows gzip
// (RFC 9110 12.5.3): an explicit gzip entry decides by its q-value,
// otherwise a "*" entry does; q=0 means "not acceptable".
func AcceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ",")
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.TrimSpace(coding)
		q := 1.0
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case strings.EqualFold(coding, "gzip") || strings.EqualFold(coding, "x-gzip"):
			gzipQ = q
		case coding == "*":
			starQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// Success wraps pre-encoded JSON in the envelope every successful API
// answer has, {"success":true,"data":DATA}, with ,"meta":META when meta is
// not nil: the one place the envelope is built.
func Success(data, meta []byte) []byte {
	body := make([]byte, 0, len(data)+len(meta)+40)
	body = append(body, `{"success":true,"data":`...)
	body = append(body, data...)
	if meta != nil {
		body = append(body, `,"meta":`...)
		body = append(body, meta...)
	}
	return append(body, '}')
}
