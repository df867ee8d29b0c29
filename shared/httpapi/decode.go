package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Field errors name the JSON field the client sent, not the Go field.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

// DecodeJSON reads a JSON request body into dst: it must be
// application/json, one object, with no unknown fields (a typo or a field
// the client may not set, such as "roles", is an error rather than
// silently ignored), and it must pass dst's validate tags. Every problem
// comes back as an Invalid error naming the field.
func DecodeJSON(r *http.Request, dst any) error {
	if err := Decode(r, dst); err != nil {
		return err
	}
	return Validate(dst)
}

// Decode is DecodeJSON without the validate tags: a handler that checks
// more than the tags (a write checks the domain's rules too) calls
// Validate itself and answers every problem at once.
func Decode(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apperr.Field("Content-Type", "unsupported", "must be application/json")
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	if err := checkKeys(data, reflect.TypeOf(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return apperr.Field("body", "format", "must hold exactly one JSON object")
	}
	return nil
}

// Validate checks v's validate tags and translates the failures into one
// Invalid error naming every field.
func Validate(v any) error {
	err := validate.Struct(v)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err
	}
	fs := make([]apperr.FieldError, 0, len(ves))
	for _, fe := range ves {
		fs = append(fs, apperr.FieldError{Field: fe.Field(), Code: codeOf(fe.Tag()), Message: describe(fe)})
	}
	return apperr.Fields("invalid request body", fs)
}

// codeOf maps a validator tag to the contract's field error codes.
func codeOf(tag string) string {
	switch tag {
	case "datetime", "url", "http_url", "email", "uuid":
		return "format"
	case "gt", "gte", "lt", "lte":
		return "range"
	case "len":
		return "length"
	case "required_with", "required_without":
		return "requires"
	}
	return tag // required, max, min, oneof: the contract's own words
}

func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		if fe.Kind() == reflect.Slice {
			return "must hold at most " + fe.Param() + " items"
		}
		return "must be at most " + fe.Param() + " characters"
	case "min":
		return "must be at least " + fe.Param() + " characters"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "datetime":
		switch fe.Param() {
		case "2006-01-02":
			return "must be a date YYYY-MM-DD"
		case "15:04":
			return "must be a time HH:MM"
		}
		return "must be a time as " + fe.Param()
	case "url", "http_url":
		return "must be a URL"
	}
	return "fails the " + fe.Tag() + " rule"
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return apperr.Field("body", "required", "a JSON object is required")
	case isTimeout(err):
		// The client sent its body slower than the server reads: that is
		// not malformed JSON, and the answer says so (408; the connection
		// closes after it).
		return &apperr.Error{Kind: requestTimeout, Message: "the request body did not arrive in time"}
	case errors.As(err, &big):
		return &apperr.Error{Kind: PayloadTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", big.Limit)}
	case errors.As(err, &syn):
		return apperr.Field("body", "format", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ) && typ.Field == "":
		return apperr.Field("body", "type", "must be a JSON object")
	case errors.As(err, &typ):
		return apperr.Field(typ.Field, "type", "must be a JSON "+jsonKind(typ.Type.Kind()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Field(name, "unknown", "is not a field that can be set")
	}
	return apperr.Field("body", "format", "malformed JSON")
}

// jsonKind names a Go kind the way a JSON client knows it.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "number"
}

// OnlyParams returns an Invalid error naming each query parameter that is
// not one of allowed, or that is given more than once: a typo is an error,
// not silently ignored, and "?limit=1&limit=2" does not quietly mean the
// first. None of the parameters it checks is repeatable (the feed's lists
// are parsed by the feed itself). Names come in order, so the answer does
// not depend on map order.
func OnlyParams(v url.Values, allowed ...string) error {
	var fs []apperr.FieldError
	for _, k := range slices.Sorted(maps.Keys(v)) {
		switch {
		case !slices.Contains(allowed, k):
			fs = append(fs, apperr.FieldError{Field: k, Code: "unknown", Message: "is not a known parameter"})
		case len(v[k]) > 1:
			fs = append(fs, Repeated(k, len(v[k])))
		}
	}
	if len(fs) == 1 {
		return apperr.Field(fs[0].Field, fs[0].Code, fs[0].Message)
	}
	return apperr.Fields("invalid query parameters", fs)
}

// Repeated is the field error of a parameter that may be given once and
// came n times.
func Repeated(name string, n int) apperr.FieldError {
	return apperr.FieldError{Field: name, Code: "repeated", Message: fmt.Sprintf("is given %d times; give it once", n)}
}

// requestTimeout is an HTTP-only kind for a body that did not arrive in
// time.
const requestTimeout apperr.Kind = "request_timeout"

// isTimeout reports whether reading failed because a deadline passed: the
// server's read timeout or the request's.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}
