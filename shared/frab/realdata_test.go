package frab_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/fold"
	"github.com/partyfinder/partyfinder/shared/frab"
	"github.com/partyfinder/partyfinder/shared/importer/importertest"
	"github.com/partyfinder/partyfinder/shared/party"
)

// realParties imports the real Gamescom 2025 organiser export through the
// importer, as production does, and returns the conference and the parties
// it would write.
func realParties(t testing.TB) (conference.Conference, []party.Party) {
	t.Helper()
	conf, writes := importertest.RealSheet(t, "../..")
	if len(writes) < 50 {
		t.Fatalf("the importer accepted %d parties of the real sheet, expected most of its 65 rows", len(writes))
	}
	return conf, writes
}

// TestRealGamescom exports the real Gamescom week and checks what an
// attendee relies on: every party is there once, under its guid, on the
// evening it belongs to, in its venue's room, with its true start.
func TestRealGamescom(t *testing.T) {
	conf, ps := realParties(t)
	loc := conf.Location()
	// Cancel one, as organisers do, to have one in the real document.
	ps[len(ps)/2].Status = party.Cancelled
	d := export(t, conf, ps, frab.Options{Version: "real", BaseURL: "https://partyfinder.example/parties"})

	if len(d.events) != len(ps) {
		t.Errorf("%d events for %d parties", len(d.events), len(ps))
	}
	pastMidnight, early, byAddress := 0, 0, 0
	for _, p := range ps {
		e := d.event(t, p.ID)
		start, end := p.Start.In(loc), p.End.In(loc)
		// The evening a party belongs to, worked out here independently:
		// the day it starts, or the day before when it starts before 06:00.
		night := start
		if start.Hour() < 6 {
			night = start.AddDate(0, 0, -1)
			early++
		}
		if !p.End.IsZero() && end.Format(time.DateOnly) != start.Format(time.DateOnly) {
			pastMidnight++
		}
		if want := night.Format(conference.DateLayout); e.day != want {
			t.Errorf("%s (%s, starts %s) is on day %s, want %s", p.ID, p.Title, start.Format(time.DateTime), e.day, want)
		}
		if e.x.Date != start.Format(time.RFC3339) || e.x.Start != start.Format("15:04") {
			t.Errorf("%s: date %s start %s, want %s", p.ID, e.x.Date, e.x.Start, start.Format(time.RFC3339))
		}
		switch {
		case p.Venue != "":
			if fold.String(e.room) != fold.String(p.Venue) {
				t.Errorf("%s at %q is in room %q", p.ID, p.Venue, e.room)
			}
		case p.Address != "":
			byAddress++
			if fold.String(e.room) != fold.String(p.Address) {
				t.Errorf("%s at %q (no venue) is in room %q", p.ID, p.Address, e.room)
			}
		case e.room != frab.NoVenueRoom:
			t.Errorf("%s has no venue and no address but is in room %q", p.ID, e.room)
		}
		// The apps show an event on the day tabs it lies in, and read a
		// duration of 24:00 or more as nothing or not at all.
		if h, m, ok := clockOf(e.x.Duration); !ok || h >= 24 {
			t.Errorf("%s: duration %q", p.ID, e.x.Duration)
		} else if listedEnd := start.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute); listedEnd.After(dayEnd(t, d, e.day)) {
			t.Errorf("%s: listed until %s, after its day %s ends", p.ID, listedEnd.Format(time.DateTime), e.day)
		}
		if e.x.Room != e.room || e.j.Room != e.room {
			t.Errorf("%s sits in room %q but says %q (JSON %q)", p.ID, e.room, e.x.Room, e.j.Room)
		}
		wantTitle := p.Title
		if p.Status == party.Cancelled {
			wantTitle = frab.CancelledPrefix + p.Title
		}
		if e.x.Title != wantTitle || e.j.Title != wantTitle {
			t.Errorf("%s: title %q, want %q", p.ID, e.x.Title, wantTitle)
		}
	}
	t.Logf("%d parties, %d days, %d rooms (%d parties in a room named after their address), %d running past midnight, %d starting before 06:00, %d KB XML, %d KB JSON",
		len(ps), len(d.x.Days), len(d.j.Schedule.Conference.Rooms), byAddress, pastMidnight, early, len(d.xml)/1024, len(d.json)/1024)
	if pastMidnight == 0 || byAddress == 0 {
		t.Error("the real sheet has parties past midnight and parties with an address but no venue; some were not checked")
	}
	if c := d.x.Conference; c.Start != "2025-08-17" || c.End != "2025-08-23" || c.Days != 7 {
		t.Errorf("conference %s to %s, %d days, want the Gamescom week", c.Start, c.End, c.Days)
	}
}

// clockOf reads a listed duration, HH:MM.
func clockOf(s string) (h, m int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	return h, m, err1 == nil && err2 == nil && m < 60
}

// dayEnd returns when the document's day of date ends.
func dayEnd(t *testing.T, d doc, date string) time.Time {
	t.Helper()
	for _, day := range d.x.Days {
		if day.Date == date {
			end, err := time.Parse(time.RFC3339, day.End)
			if err != nil {
				t.Fatalf("day %s ends %q", date, day.End)
			}
			return end
		}
	}
	t.Fatalf("no day %s", date)
	return time.Time{}
}
