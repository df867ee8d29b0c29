package ics_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"

	"github.com/partyfinder/partyfinder/shared/ics"
	"github.com/partyfinder/partyfinder/shared/party"
)

// observance is a STANDARD or DAYLIGHT sub-component as read back.
type observance struct {
	kind, dtstart, from, to, rrule, name string
}

func observances(t *testing.T, tz *ical.VTimezone) []observance {
	t.Helper()
	var out []observance
	for _, sub := range tz.Components {
		var cb ical.ComponentBase
		var kind string
		switch c := sub.(type) {
		case *ical.Standard:
			cb, kind = c.ComponentBase, "STANDARD"
		case *ical.Daylight:
			cb, kind = c.ComponentBase, "DAYLIGHT"
		default:
			t.Fatalf("unexpected VTIMEZONE sub-component %T", sub)
		}
		get := func(name string) string {
			if p := cb.GetProperty(ical.ComponentProperty(name)); p != nil {
				return p.Value
			}
			return ""
		}
		out = append(out, observance{kind, get("DTSTART"), get("TZOFFSETFROM"), get("TZOFFSETTO"), get("RRULE"), get("TZNAME")})
	}
	return out
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 5 && len(s) != 7 {
		t.Fatalf("bad UTC offset %q", s)
	}
	n := func(a, b int) int { v, _ := strconv.Atoi(s[a:b]); return v }
	sec := n(1, 3)*3600 + n(3, 5)*60
	if len(s) == 7 {
		sec += n(5, 7)
	}
	if s[0] == '-' {
		sec = -sec
	}
	return sec
}

type onset struct {
	at     time.Time
	offset int
}

// onsets expands the observances (DTSTART plus a yearly RRULE of the
// BYMONTH/BYDAY kind) into instants, up to the end of year lastYear. It is
// written from RFC 5545, independently of the code under test.
func onsets(t *testing.T, obs []observance, lastYear int) []onset {
	t.Helper()
	var out []onset
	for _, o := range obs {
		wall, err := time.Parse("20060102T150405", o.dtstart)
		if err != nil {
			t.Fatalf("DTSTART %q: %v", o.dtstart, err)
		}
		from, to := parseOffset(t, o.from), parseOffset(t, o.to)
		add := func(w time.Time) {
			out = append(out, onset{w.Add(-time.Duration(from) * time.Second), to})
		}
		add(wall)
		if o.rrule == "" {
			continue
		}
		parts := map[string]string{}
		for _, kv := range strings.Split(o.rrule, ";") {
			k, v, _ := strings.Cut(kv, "=")
			parts[k] = v
		}
		if parts["FREQ"] != "YEARLY" || len(parts) != 3 {
			t.Fatalf("unsupported RRULE %q", o.rrule)
		}
		month, _ := strconv.Atoi(parts["BYMONTH"])
		byday := parts["BYDAY"]
		ord, _ := strconv.Atoi(byday[:len(byday)-2])
		wd := slices.Index([]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}, byday[len(byday)-2:])
		if ord == 0 || wd < 0 {
			t.Fatalf("unsupported BYDAY %q", byday)
		}
		for y := wall.Year() + 1; y <= lastYear; y++ {
			var day time.Time
			if ord > 0 {
				day = time.Date(y, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
				day = day.AddDate(0, 0, (wd-int(day.Weekday())+7)%7+7*(ord-1))
			} else {
				day = time.Date(y, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC) // last of month
				day = day.AddDate(0, 0, -((int(day.Weekday())-wd+7)%7 + 7*(-ord-1)))
			}
			if int(day.Month()) != month {
				t.Fatalf("RRULE %q has no occurrence in %d", o.rrule, y)
			}
			add(time.Date(y, day.Month(), day.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC))
		}
	}
	slices.SortFunc(out, func(a, b onset) int { return a.at.Compare(b.at) })
	return out
}

// offsetAt is what a calendar app computes from the VTIMEZONE: the offset of
// the latest onset at or before u.
func offsetAt(ons []onset, u time.Time) (int, bool) {
	off, ok := 0, false
	for _, o := range ons {
		if o.at.After(u) {
			break
		}
		off, ok = o.offset, true
	}
	return off, ok
}

func TestVTimezoneAgreesWithGo(t *testing.T) {
	tests := []struct {
		zone, first, last string
		wantAugust        string // offset of the conference's August days
		wantRRules        []string
	}{
		{"Europe/Berlin", "2025-08-19", "2025-08-24", "+0200",
			[]string{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"}},
		{"America/Los_Angeles", "2025-08-19", "2025-08-24", "-0700",
			[]string{"FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"}},
		{"Australia/Sydney", "2026-08-03", "2026-08-07", "+1000",
			[]string{"FREQ=YEARLY;BYMONTH=4;BYDAY=1SU", "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU"}},
		{"Asia/Tokyo", "2025-08-19", "2025-08-24", "+0900", nil},
		{"Asia/Kolkata", "2025-08-19", "2025-08-24", "+0530", nil},
		// Mexico ended daylight saving time in October 2022: the rules differ
		// between the years, so every change is written out.
		{"America/Mexico_City", "2022-08-22", "2022-08-26", "-0500", nil},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			conf := mustConf(t, tt.zone, tt.first, tt.last)
			loc := conf.Location()
			first, _ := time.ParseInLocation("2006-01-02", tt.first, loc)
			p := mkParty(t, conf, "p", func(p *party.Party) {
				p.Start = first.Add(20 * time.Hour)
				p.End = first.Add(26 * time.Hour)
			})
			out := encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{p}})
			c := parse(t, out)
			tzs := c.Timezones()
			if len(tzs) != 1 {
				t.Fatalf("%d VTIMEZONEs, want 1", len(tzs))
			}
			if got := tzs[0].GetProperty(ical.ComponentPropertyTzid).Value; got != tt.zone {
				t.Errorf("TZID = %q, want %q", got, tt.zone)
			}
			obs := observances(t, tzs[0])
			var rrules []string
			for _, o := range obs {
				if o.rrule != "" {
					rrules = append(rrules, o.rrule)
				}
			}
			if !slices.Equal(rrules, tt.wantRRules) {
				t.Errorf("RRULEs = %q, want %q", rrules, tt.wantRRules)
			}

			year := first.Year()
			ons := onsets(t, obs, year+1)
			// Every hour of the conference year (and the days around it) must
			// get the offset Go's zone database gives.
			for u := time.Date(year, 1, 1, 0, 0, 0, 0, loc); u.Year() <= year; u = u.Add(time.Hour) {
				got, ok := offsetAt(ons, u)
				_, want := u.In(loc).Zone()
				if !ok || got != want {
					t.Fatalf("at %v the VTIMEZONE gives %+d s (covered %v), Go gives %+d s\n%+v", u.UTC(), got, ok, want, obs)
				}
			}
			if got, _ := offsetAt(ons, p.Start); fmtOffset(got) != tt.wantAugust {
				t.Errorf("offset during the conference = %s, want %s", fmtOffset(got), tt.wantAugust)
			}
			raw := rawEvents(out)[0]
			if got, want := raw["DTSTART;TZID="+tt.zone], p.Start.In(loc).Format("20060102T150405"); got != want {
				t.Errorf("DTSTART;TZID=%s = %q, want %q", tt.zone, got, want)
			}
		})
	}
}

func TestVTimezoneBerlinObservances(t *testing.T) {
	conf := berlin(t)
	out := encode(t, ics.Calendar{Conference: conf, Parties: []party.Party{mkParty(t, conf, "p", nil)}})
	obs := observances(t, parse(t, out).Timezones()[0])
	want := []observance{
		{"DAYLIGHT", "20240331T020000", "+0100", "+0200", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "CEST"},
		{"STANDARD", "20241027T030000", "+0200", "+0100", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "CET"},
	}
	if !slices.Equal(obs, want) {
		t.Errorf("observances\n got %+v\nwant %+v", obs, want)
	}
}

func fmtOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec%3600/60)
}
