// Package apperr is the one error vocabulary of Partyfinder.
//
// Domain code and adapters return *Error values (usually wrapped with
// fmt.Errorf("op: %w", err)); the HTTP edge maps their Kind to a status code in
// exactly one place. Errors of any other type are treated as internal.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind string

// The kinds of error. Their HTTP mapping lives in the httpapi package.
const (
	Invalid      Kind = "invalid"       // the request is malformed or breaks a rule
	NotFound     Kind = "not_found"     // the thing asked for does not exist (or is not visible)
	Conflict     Kind = "conflict"      // the request clashes with the current state
	Stale        Kind = "stale"         // the change was made against an older version than the current one
	NeedsVersion Kind = "needs_version" // a change must name the version it was made against
	KeyReused    Kind = "key_reused"    // an idempotency key sent again with another request
	Unauthorized Kind = "unauthorized"  // no valid credentials
	Forbidden    Kind = "forbidden"     // valid credentials, not allowed
	RateLimited  Kind = "rate_limited"  // too many requests
	Unavailable  Kind = "unavailable"   // a dependency is down; retrying may help
	Gone         Kind = "gone"          // what the request builds on is no longer kept; start over
	Internal     Kind = "internal"      // a bug or an unexpected failure
)

// FieldError names one offending input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an application error with a kind, a human message that is safe to
// show to clients, and optional per-field details.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// New returns an error of the given kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about a single field.
func Field(field, code, message string) *Error {
	return &Error{Kind: Invalid, Message: "invalid " + field + ": " + message,
		Fields: []FieldError{{Field: field, Code: code, Message: message}}}
}

// Fields returns an Invalid error listing every field problem, or nil when fs is empty.
func Fields(message string, fs []FieldError) error {
	if len(fs) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: message, Fields: fs}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of err: Internal for errors that are not *Error, "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error of the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// FieldsOf returns the field problems of an Invalid error that lists
// them, so a caller can answer them together with problems of its own;
// nil for nil. Any other error comes back as the second result.
func FieldsOf(err error) ([]FieldError, error) {
	if err == nil {
		return nil, nil
	}
	if e, ok := As(err); ok && e.Kind == Invalid && len(e.Fields) > 0 {
		return e.Fields, nil
	}
	return nil, err
}

// Renamed returns fs with the fields names maps renamed, the rest as they
// are: a domain's field names as an API's body spells them.
func Renamed(fs []FieldError, names map[string]string) []FieldError {
	out := make([]FieldError, len(fs))
	for i, f := range fs {
		if n, ok := names[f.Field]; ok {
			f.Field = n
		}
		out[i] = f
	}
	return out
}

// Merge returns an Invalid error listing the problems of every list, or
// nil when there are none. A field keeps only its first problem: the
// lists go from the most basic check (the shape of the input) to the
// most derived (a rule over several fields), and a value that is
// malformed need not also be reported as out of range.
func Merge(message string, lists ...[]FieldError) error {
	var out []FieldError
	seen := map[string]bool{}
	for _, fs := range lists {
		for _, f := range fs {
			if !seen[f.Field] {
				seen[f.Field] = true
				out = append(out, f)
			}
		}
	}
	return Fields(message, out)
}
