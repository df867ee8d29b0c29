package importer

import (
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		exact bool
		ok    bool
	}{
		{"18:00", "18:00", true, true},
		{"9:00", "09:00", true, true},
		{"07:30", "07:30", true, true},
		{"1900", "19:00", false, true},
		{"930", "09:30", false, true},
		{"7pm", "19:00", false, true},
		{"7 PM", "19:00", false, true},
		{"12am", "00:00", false, true},
		{"12pm", "12:00", false, true},
		{"7.30 p.m.", "19:30", false, true},
		{"10:30 pm", "22:30", false, true},
		{"19.30", "19:30", false, true},
		{"19:30 Uhr", "19:30", false, true},
		{"19 Uhr", "19:00", false, true},
		{"19h30", "19:30", false, true},
		{"19h", "19:00", false, true},
		{"noon", "12:00", false, true},
		{"24:00", "24:00", true, true},
		{"00:00", "00:00", true, true},
		{"25:00", "", false, false},
		{"18:61", "", false, false},
		{"13pm", "", false, false},
		{"late", "", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		c, exact, ok := parseClock(tt.in)
		if ok != tt.ok || ok && (c.String() != tt.want || exact != tt.exact) {
			t.Errorf("parseClock(%q) = %s, exact %v, ok %v; want %s, %v, %v", tt.in, c, exact, ok, tt.want, tt.exact, tt.ok)
		}
	}
}

func TestSplitRange(t *testing.T) {
	tests := []struct{ in, from, to string }{
		{"18:00 - 23:00", "18:00", "23:00"},
		{"12:30 - 2:00", "12:30", "2:00"},
		{"7pm to 2am", "7pm", "2am"},
		{"19–23 Uhr", "19", "23 Uhr"},
		{"19 bis 23 Uhr", "19", "23 Uhr"},
	}
	for _, tt := range tests {
		from, to, ok := splitRange(tt.in)
		if !ok || from != tt.from || to != tt.to {
			t.Errorf("splitRange(%q) = %q, %q, %v", tt.in, from, to, ok)
		}
	}
	if _, _, ok := splitRange("2h"); ok {
		t.Error(`splitRange("2h") should not be a range`)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"2h": 2 * time.Hour, "1.5h": 90 * time.Minute, "90 min": 90 * time.Minute, "3 hours": 3 * time.Hour} {
		if got, ok := parseDuration(in); !ok || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "soon", "0h", "30h"} {
		if _, ok := parseDuration(in); ok {
			t.Errorf("parseDuration(%q) should fail", in)
		}
	}
}

func TestParseDate(t *testing.T) {
	y2025 := func(time.Month, int) int { return 2025 }
	tests := []struct {
		in       string
		want     string
		named    bool
		weekday  time.Weekday
		yearless bool
		ok       bool
	}{
		{"Wed Aug 20", "2025-08-20", true, time.Wednesday, true, true},
		{"Wednesday, August 20", "2025-08-20", true, time.Wednesday, true, true},
		{"Thu Aug 20", "2025-08-20", true, time.Thursday, true, true},
		{"20 Aug 2025", "2025-08-20", false, 0, false, true},
		{"Aug 20th", "2025-08-20", false, 0, true, true},
		{"Mi, 20. August", "2025-08-20", true, time.Wednesday, true, true},
		{"2025-08-21", "2025-08-21", false, 0, false, true},
		{"2025-08-21T18:00:00Z", "2025-08-21", false, 0, false, true},
		{"21.08.2025", "2025-08-21", false, 0, false, true},
		{"21.08.", "2025-08-21", false, 0, true, true},
		{"21.08.25", "2025-08-21", false, 0, false, true},
		{"8/21/2025", "2025-08-21", false, 0, false, true},
		{"21/8", "2025-08-21", false, 0, true, true},
		{"08/07/2025", "", false, 0, false, false}, // day/month or month/day?
		{"Feb 30", "", false, 0, false, false},
		{"someday soon", "", false, 0, false, false},
		{"", "", false, 0, false, false},
		{"Aug", "", false, 0, false, false},
	}
	for _, tt := range tests {
		d, err := parseDate(tt.in, y2025)
		if (err == nil) != tt.ok {
			t.Errorf("parseDate(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if d.day.String() != tt.want || d.named != tt.named || d.named && d.weekday != tt.weekday || d.yearless != tt.yearless {
			t.Errorf("parseDate(%q) = %+v, want %s named=%v %v yearless=%v", tt.in, d, tt.want, tt.named, tt.weekday, tt.yearless)
		}
	}
}

func TestYearNear(t *testing.T) {
	near := yearNear(time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC))
	if y := near(time.January, 2); y != 2026 {
		t.Errorf("Jan 2 near 29 Dec 2025 = %d, want 2026", y)
	}
	if y := near(time.December, 30); y != 2025 {
		t.Errorf("Dec 30 near 29 Dec 2025 = %d, want 2025", y)
	}
}
