package party_test

import (
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

func TestConferenceRules(t *testing.T) {
	c, err := conference.New("gamescom2026", "gamescom 2026", "Cologne", "Europe/Berlin", "2026-08-26", "2026-08-30")
	if err != nil {
		t.Fatal(err)
	}
	c.Categories = []string{"Exec Social", "Indie Night"}
	berlin := c.Location()
	at := func(day, clock string) time.Time {
		t.Helper()
		ts, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	tests := []struct {
		name     string
		start    time.Time
		category string
		want     []string // field:code
	}{
		{"the first day", at("2026-08-26", "20:00"), "", nil},
		{"the last day, late", at("2026-08-30", "23:30"), "exec social", nil},
		// 23:30 in Cologne is 21:30 UTC: the day is the conference's, not UTC's.
		{"just after midnight, the night after the last day", at("2026-08-31", "00:30"), "", []string{"start:range"}},
		{"the day before", at("2026-08-25", "21:00"), "", []string{"start:range"}},
		{"a category on offer, spelled otherwise", at("2026-08-27", "20:00"), "Indie  night", nil},
		{"a category not on offer", at("2026-08-27", "20:00"), "Rave", []string{"category:oneof"}},
		{"both", at("1999-01-01", "20:00"), "Rave", []string{"start:range", "category:oneof"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := party.Party{ConferenceID: c.ID, Title: "Night", Start: tt.start, Category: party.NewCategory(tt.category)}
			var got []string
			for _, f := range p.ConferenceProblems(c) {
				got = append(got, f.Field+":"+f.Code)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems %v, want %v", got, tt.want)
			}
		})
	}
	open := c
	open.Categories = nil
	if fs := (party.Party{ConferenceID: c.ID, Start: at("2026-08-27", "20:00"), Category: party.NewCategory("Rave")}).ConferenceProblems(open); len(fs) != 0 {
		t.Errorf("a conference that names no categories refused one: %v", fs)
	}
}

// CheckDraft answers what Submit would refuse of a party as an organizer
// wrote it, every problem at once, and nothing of the fields the use case
// sets.
func TestCheckDraft(t *testing.T) {
	c, err := conference.New("gamescom2026", "gamescom 2026", "Cologne", "Europe/Berlin", "2026-08-26", "2026-08-30")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 8, 27, 18, 0, 0, 0, time.UTC)
	if err := party.CheckDraft(party.Party{ConferenceID: c.ID, Title: "Fine Night", Start: start}, c); err != nil {
		t.Errorf("a fine draft: %v", err)
	}
	err = party.CheckDraft(party.Party{ConferenceID: c.ID, Title: "Bad\x07Night", Link: "javascript:alert(1)", Start: start.AddDate(-1, 0, 0)}, c)
	fs, other := apperr.FieldsOf(err)
	if other != nil {
		t.Fatalf("not an invalid error: %v", other)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Field)
	}
	slices.Sort(got)
	if want := []string{"link", "start", "title"}; !slices.Equal(got, want) {
		t.Errorf("problems of %v, want %v", got, want)
	}
}
