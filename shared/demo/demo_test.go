package demo_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo"
	"github.com/partyfinder/partyfinder/shared/party"
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

func TestConferenceStartsOnTheMondayAfterNow(t *testing.T) {
	tests := []struct {
		name      string
		now       time.Time
		wantFirst string
		wantLast  string
	}{
		{"wednesday", time.Date(2026, 3, 4, 15, 0, 0, 0, berlin), "2026-03-09", "2026-03-13"},
		{"sunday night", time.Date(2026, 3, 8, 23, 59, 0, 0, berlin), "2026-03-09", "2026-03-13"},
		{"monday morning is next week's monday", time.Date(2026, 3, 9, 0, 0, 0, 0, berlin), "2026-03-16", "2026-03-20"},
		// 23:30 UTC on Sunday is already Monday in Cologne.
		{"zone of now does not matter", time.Date(2026, 3, 8, 23, 30, 0, 0, time.UTC), "2026-03-16", "2026-03-20"},
		{"across a month and year end", time.Date(2026, 12, 29, 12, 0, 0, 0, berlin), "2027-01-04", "2027-01-08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := demo.Conference(tt.now)
			if err := c.Validate(); err != nil {
				t.Fatalf("invalid conference: %v", err)
			}
			if c.FirstDay != tt.wantFirst || c.LastDay != tt.wantLast {
				t.Errorf("days = %s..%s, want %s..%s", c.FirstDay, c.LastDay, tt.wantFirst, tt.wantLast)
			}
			if c.ID != "democon" || c.TimeZone != "Europe/Berlin" || c.City != "Cologne" || c.Name != "Demo Games Week" {
				t.Errorf("conference = %+v", c)
			}
			if first, _ := time.ParseInLocation(conference.DateLayout, c.FirstDay, berlin); first.Weekday() != time.Monday {
				t.Errorf("first day %s is a %s", c.FirstDay, first.Weekday())
			}
		})
	}
}

func TestDataIsValidAndVaried(t *testing.T) {
	now := time.Date(2026, 8, 12, 10, 0, 0, 0, berlin)
	c, ps := demo.Data(now)
	loc := c.Location()

	if n := len(ps); n < 55 || n > 65 {
		t.Fatalf("%d parties, want about 60", n)
	}
	ids := map[string]bool{}
	titles := map[string]bool{}
	perDay := map[string]int{}
	statuses := map[party.Status]int{}
	categories := map[string]bool{}
	prices := map[string]bool{}
	var pastMidnight, openEnded int
	for i, p := range ps {
		again, err := party.New(p)
		if err != nil {
			t.Errorf("party %q is invalid: %v", p.Title, err)
		} else if !again.Equal(p) {
			t.Errorf("party %q changes when normalized again", p.Title)
		}
		if p.ConferenceID != c.ID || p.Source != demo.Source || p.Version != 1 {
			t.Errorf("party %q: conference %q, source %q, version %d", p.Title, p.ConferenceID, p.Source, p.Version)
		}
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		if titles[p.Title] {
			t.Errorf("duplicate title %q", p.Title)
		}
		titles[p.Title] = true
		day := p.LocalDate(loc)
		if day < c.FirstDay || day > c.LastDay {
			t.Errorf("party %q starts on %s, outside %s..%s", p.Title, day, c.FirstDay, c.LastDay)
		}
		perDay[day]++
		statuses[p.Status]++
		categories[p.Category.Label] = true
		prices[p.Price] = true
		switch {
		case p.End.IsZero():
			openEnded++
		case p.End.In(loc).Format(conference.DateLayout) != day:
			pastMidnight++
		}
		if i > 0 && p.Start.Before(ps[i-1].Start) {
			t.Errorf("party %q is out of start order", p.Title)
		}
		if !p.CreatedAt.Equal(p.UpdatedAt) || !p.CreatedAt.Before(p.Start) || p.CreatedAt.Location() != time.UTC {
			t.Errorf("party %q: created %v, updated %v", p.Title, p.CreatedAt, p.UpdatedAt)
		}
		// Everything is made up: links stay on example.com, and the places
		// are inside Cologne.
		if !strings.HasPrefix(p.Link, "https://example.com/") {
			t.Errorf("party %q links to %q", p.Title, p.Link)
		}
		if p.Location == nil || p.Location.Lat < 50.83 || p.Location.Lat > 51.09 || p.Location.Lng < 6.77 || p.Location.Lng > 7.17 {
			t.Errorf("party %q is at %v, not in Cologne", p.Title, p.Location)
		}
		if !strings.Contains(p.Address, "Köln") || p.Venue == "" || len(p.Hosts) == 0 || p.Description == "" || p.Focus == "" || len(p.Tags) == 0 {
			t.Errorf("party %q lacks venue, address, hosts, description, focus or tags: %+v", p.Title, p)
		}
		if strings.Contains(p.Description, "{") {
			t.Errorf("party %q has an unfilled description: %q", p.Title, p.Description)
		}
		if p.Status == party.Cancelled && !strings.Contains(p.Description, "cancelled") {
			t.Errorf("cancelled party %q does not say so", p.Title)
		}
	}
	if len(perDay) != 5 {
		t.Errorf("parties on %d days, want 5: %v", len(perDay), perDay)
	}
	for day, n := range perDay {
		if n < 8 {
			t.Errorf("only %d parties on %s", n, day)
		}
	}
	if statuses[party.Cancelled] < 1 || statuses[party.Published] < len(ps)-3 || len(statuses) != 2 {
		t.Errorf("statuses = %v, want published with one to three cancelled", statuses)
	}
	if pastMidnight < 3 || openEnded < 2 {
		t.Errorf("%d parties past midnight and %d open-ended, want at least 3 and 2", pastMidnight, openEnded)
	}
	for _, want := range []string{"Mixer", "Party", "Exec Social", "Meetings", "Wellness", "Tour", "Hackathon", "Awards Party", "Game Pitches"} {
		if !categories[want] {
			t.Errorf("no %q party", want)
		}
	}
	for _, want := range []string{"Free", "Free if approved", "€15", "Request to Join", "Sold Out"} {
		if !prices[want] {
			t.Errorf("no party priced %q", want)
		}
	}
}

func TestDataIsStable(t *testing.T) {
	monday := time.Date(2026, 8, 10, 9, 0, 0, 0, berlin)
	c1, ps1 := demo.Data(monday)
	c2, ps2 := demo.Data(monday.Add(3*24*time.Hour + 5*time.Hour)) // Thursday, same week
	if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(ps1, ps2) {
		t.Fatalf("two calls in the same week differ")
	}

	// A later week moves the dates but keeps ids, so a store seeded once
	// does not get a second copy.
	_, later := demo.Data(monday.AddDate(0, 0, 21))
	for i := range ps1 {
		if later[i].ID != ps1[i].ID {
			t.Fatalf("party %q has id %s one week and %s another", ps1[i].Title, ps1[i].ID, later[i].ID)
		}
		if got := later[i].Start.Sub(ps1[i].Start); got != 21*24*time.Hour {
			t.Errorf("party %q moved by %v, want 3 weeks", ps1[i].Title, got)
		}
	}
	if want := party.ImportID("democon", "demo", "day1/opening-night-mixer"); !containsID(ps1, want) {
		t.Errorf("no party with the id derived from day1/opening-night-mixer (%s)", want)
	}
}

func TestDataAcrossDaylightSavingChange(t *testing.T) {
	// Clocks go back on 25 October 2026, the day before the week starts:
	// parties keep their local clock times.
	c, ps := demo.Data(time.Date(2026, 10, 22, 12, 0, 0, 0, berlin))
	if c.FirstDay != "2026-10-26" {
		t.Fatalf("first day %s", c.FirstDay)
	}
	if got := ps[0].Start.In(berlin).Format("Mon 15:04"); ps[0].Title != "Riverside Run & Stretch" || got != "Mon 09:00" {
		t.Errorf("first party %q starts at %s local, want the run on Mon 09:00", ps[0].Title, got)
	}
}

func containsID(ps []party.Party, id string) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}
