// Package httpapi holds the HTTP edge shared by every function: the mapping of
// the error vocabulary to problem responses, the router, cached byte
// responses, JSON bodies and their validation, authentication of ID tokens,
// rate limits, CORS, and the middleware chain (request id, deadline,
// tracing, logs, security headers, body limit, panic recovery).
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/rendered"
)

// statusOf is the one place where error kinds become HTTP status codes.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:      http.StatusBadRequest,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Conflict:     http.StatusConflict,
	apperr.Stale:        http.StatusPreconditionFailed,
	apperr.NeedsVersion: http.StatusPreconditionRequired,
	apperr.KeyReused:    http.StatusUnprocessableEntity,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.RateLimited:  http.StatusTooManyRequests,
	apperr.Unavailable:  http.StatusServiceUnavailable,
	apperr.Gone:         http.StatusGone,
	apperr.Internal:     http.StatusInternalServerError,
	// The edge's own kinds: failures no use case reports.
	requestTimeout:   http.StatusRequestTimeout,
	PayloadTooLarge:  http.StatusRequestEntityTooLarge,
	methodNotAllowed: http.StatusMethodNotAllowed,
}

// StatusOf returns the HTTP status for an error.
func StatusOf(err error) int {
	if s, ok := statusOf[apperr.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details body. It also carries success:false
// and a human error string because existing clients read those.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail"`
	Instance string              `json:"instance,omitempty"`
	Code     apperr.Kind         `json:"code"`
	Errors   []apperr.FieldError `json:"errors,omitempty"`
	Success  bool                `json:"success"`
	Error    string              `json:"error"`
}

// ProblemType returns the type URI of problems of a kind.
func ProblemType(kind apperr.Kind) string { return "urn:partyfinder:problem:" + string(kind) }

// Bounds of a problem body: however a request was made, its error
// answer stays a few kilobytes.
const (
	maxDetail      = 500
	maxFieldErrors = 20
	maxFieldText   = 300
	// maxEcho bounds a value of the request that an answer repeats (the
	// path as the problem's instance, a path in a message).
	maxEcho = 200
)

// boundedFields returns at most maxFieldErrors field errors, each with
// its name and message clipped.
func boundedFields(fs []apperr.FieldError) []apperr.FieldError {
	if len(fs) == 0 {
		return fs
	}
	out := make([]apperr.FieldError, 0, min(len(fs), maxFieldErrors))
	for _, f := range fs[:min(len(fs), maxFieldErrors)] {
		out = append(out, apperr.FieldError{Field: clip(f.Field, maxFieldText), Code: clip(f.Code, 40), Message: clip(f.Message, maxFieldText)})
	}
	return out
}

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ProblemFor builds the problem body for err. Internal errors never leak
// their message: clients see a generic detail, the log keeps the cause.
func ProblemFor(r *http.Request, err error) Problem {
	kind := apperr.KindOf(err)
	if kind == "" {
		kind = apperr.Internal
	}
	status := StatusOf(err)
	p := Problem{
		Type:     ProblemType(kind),
		Title:    http.StatusText(status),
		Status:   status,
		Instance: clip(r.URL.Path, maxEcho),
		Code:     kind,
	}
	if e, ok := apperr.As(err); ok && kind != apperr.Internal {
		p.Detail = clip(e.Message, maxDetail)
		p.Errors = boundedFields(e.Fields)
	} else {
		p.Detail = "Something went wrong on our side. Please try again later."
	}
	p.Error = p.Detail
	return p
}

// Error writes err as an application/problem+json response and logs server-side failures.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, err, ProblemFor(r, err))
}

// ErrorWith writes err like Error, with members of the problem type's own
// (RFC 9457 extensions): body is a struct that embeds the Problem that
// ProblemFor(r, err) gives and adds them.
func ErrorWith(w http.ResponseWriter, r *http.Request, err error, body func(Problem) any) {
	writeProblem(w, r, err, body(ProblemFor(r, err)))
}

// ErrorWithMember answers err as Error does, with one extension member
// (RFC 9457) beside the problem's own, such as a 409's "candidates".
func ErrorWithMember(w http.ResponseWriter, r *http.Request, err error, name string, value any) {
	ErrorWith(w, r, err, func(p Problem) any {
		b, merr := json.Marshal(p)
		var m map[string]any
		if merr != nil || json.Unmarshal(b, &m) != nil {
			return p // the problem alone still answers
		}
		m[name] = value
		return m
	})
}

func writeProblem(w http.ResponseWriter, r *http.Request, err error, body any) {
	p := ProblemFor(r, err)
	if p.Status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "error", err.Error(), "path", RoutePath(r), "status", p.Status)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	switch p.Status {
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "5")
	case http.StatusRequestTimeout:
		h.Set("Connection", "close") // the rest of the body may still be on its way
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// JSON writes v as a JSON response that must not be cached.
func JSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// OK writes {"success":true,"data":DATA} with v as the data, in a
// response that must not be cached: the answer of an API call about one
// user or one write.
func OK(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic("httpapi: encoding a response type cannot fail: " + err.Error())
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(rendered.Success(data, nil))
}

// LogError logs a failure that is not turned into an error response.
func LogError(r *http.Request, msg string, err error, args ...any) {
	slog.ErrorContext(r.Context(), msg, append([]any{"error", err.Error(), "path", RoutePath(r)}, args...)...)
}
