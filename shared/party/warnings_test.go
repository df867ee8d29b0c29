package party

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWarnings(t *testing.T) {
	start := time.Date(2025, 8, 20, 18, 0, 0, 0, berlin)
	tests := []struct {
		name  string
		end   time.Time
		long  bool
		codes []string
		says  string
	}{
		{"open end", time.Time{}, false, nil, ""},
		{"an evening", start.Add(5 * time.Hour), false, nil, ""},
		{"until 07:00 the next day", time.Date(2025, 8, 21, 7, 0, 0, 0, berlin), false, nil, ""},
		{"a minute short of a day", start.Add(24*time.Hour - time.Minute), false, nil, ""},
		{"exactly a day", start.Add(24 * time.Hour), true, []string{WarnLong}, "the party runs 24 hours; 24 hours or more is unusually long"},
		{"26 hours", start.Add(26 * time.Hour), true, []string{WarnLong}, "runs 26 hours;"},
		{"a weekend", start.Add(49*time.Hour + 30*time.Minute), true, []string{WarnLong}, "runs 49 hours 30 minutes;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			p.Start, p.End = start, tt.end
			p, err := New(p)
			if err != nil {
				t.Fatal(err)
			}
			ws := p.Warnings()
			var codes []string
			for _, w := range ws {
				codes = append(codes, w.Code)
				if w.Field != "end" || !strings.Contains(w.Message, tt.says) {
					t.Errorf("warning %+v, want one about the end saying %q", w, tt.says)
				}
			}
			if p.Long() != tt.long || !slices.Equal(codes, tt.codes) {
				t.Errorf("Long %v, warnings %+v; want %v, %v", p.Long(), ws, tt.long, tt.codes)
			}
		})
	}
}
