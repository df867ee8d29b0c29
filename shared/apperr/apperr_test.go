package apperr_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

func TestFieldsOfAndMerge(t *testing.T) {
	shape := []apperr.FieldError{{Field: "time", Code: "format"}, {Field: "title", Code: "min"}}
	derived := []apperr.FieldError{{Field: "time", Code: "range"}, {Field: "date", Code: "range"}}
	err := apperr.Merge("invalid", shape, nil, derived)
	fs, other := apperr.FieldsOf(err)
	if other != nil {
		t.Fatal(other)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Field+":"+f.Code)
	}
	// A field keeps its first problem; the order of the lists is kept.
	if want := []string{"time:format", "title:min", "date:range"}; !slices.Equal(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}
	if !apperr.Is(err, apperr.Invalid) {
		t.Errorf("a merge is %v, want invalid", apperr.KindOf(err))
	}
	if apperr.Merge("invalid") != nil || apperr.Merge("invalid", nil, []apperr.FieldError{}) != nil {
		t.Error("no problems merged into an error")
	}
	tests := []struct {
		name     string
		err      error
		fields   int
		passedOn bool
	}{
		{"nil", nil, 0, false},
		{"fields", apperr.Field("x", "format", "bad"), 1, false},
		{"a not-found", apperr.New(apperr.NotFound, "gone"), 0, true},
		{"an invalid error naming no field", apperr.New(apperr.Invalid, "bad"), 0, true},
		{"not ours", errors.New("disk"), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, other := apperr.FieldsOf(tt.err)
			if len(fs) != tt.fields || (other != nil) != tt.passedOn || (other != nil && other != tt.err) {
				t.Errorf("FieldsOf(%v) = %v, %v", tt.err, fs, other)
			}
		})
	}
}

func TestRenamed(t *testing.T) {
	fs := []apperr.FieldError{{Field: "start", Code: "range"}, {Field: "link", Code: "format"}}
	got := apperr.Renamed(fs, map[string]string{"start": "date"})
	if got[0].Field != "date" || got[1].Field != "link" || got[0].Code != "range" {
		t.Errorf("renamed %+v", got)
	}
	if fs[0].Field != "start" {
		t.Errorf("Renamed changed its input: %+v", fs)
	}
}
