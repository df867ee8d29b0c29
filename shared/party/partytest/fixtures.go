package partytest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/party"
)

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns a Cologne wall-clock time in August 2025.
func at(day, hour, minute int) time.Time {
	return time.Date(2025, time.August, day, hour, minute, 0, 0, berlin)
}

// fullParty returns a valid party with every field set, including text that
// needs more than ASCII and an end after local midnight.
func fullParty(id, conferenceID string) party.Party {
	return party.Party{
		ID:           id,
		ConferenceID: conferenceID,
		Title:        "Kölner Nacht — Indie Mixer 🎮",
		Description:  "Drinks & demos.\nZweite Zeile: Grüße aus Köln, 東京 too.",
		Venue:        "Bürgerhaus Stollwerck",
		Address:      "Dreikönigenstraße 23, 50678 Köln",
		Location:     &party.Point{Lat: 50.925113, Lng: 6.962761},
		Start:        at(20, 21, 30),
		End:          at(21, 2, 15), // past midnight: belongs to the 20th
		Category:     party.NewCategory("Exec Social"),
		Hosts:        []string{"Ubisoft", "Épique Studios"},
		Price:        "From £13.16",
		Free:         false,
		Link:         "https://example.com/parties/köln?x=1&y=2",
		Focus:        "Developers, Publishers",
		Tags:         []string{"indie", "networking"},
		Status:       party.Published,
		Source:       "gamescom-sheets",
	}
}

// minimalParty returns a valid party with only the required fields: no
// location, open-ended, no lists.
func minimalParty(id, conferenceID string, start time.Time) party.Party {
	return party.Party{
		ID:           id,
		ConferenceID: conferenceID,
		Title:        "Party " + id,
		Start:        start,
		Category:     party.NewCategory(""),
		Status:       party.Draft,
	}
}

// diff lists the fields in which got differs from want. Times must be the
// same instant and come back in UTC.
func diff(want, got party.Party) []string {
	var d []string
	add := func(field string, w, g any) { d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w)) }
	eqTime := func(field string, w, g time.Time) {
		if !w.Equal(g) || w.IsZero() != g.IsZero() {
			add(field, w, g)
		} else if !g.IsZero() && g.Location() != time.UTC {
			add(field+" zone", time.UTC, g.Location())
		}
	}
	if want.ID != got.ID {
		add("ID", want.ID, got.ID)
	}
	if want.ConferenceID != got.ConferenceID {
		add("ConferenceID", want.ConferenceID, got.ConferenceID)
	}
	for _, f := range []struct{ name, w, g string }{
		{"Title", want.Title, got.Title}, {"Description", want.Description, got.Description},
		{"Venue", want.Venue, got.Venue}, {"Address", want.Address, got.Address},
		{"Price", want.Price, got.Price}, {"Link", want.Link, got.Link}, {"Focus", want.Focus, got.Focus},
		{"Status", string(want.Status), string(got.Status)}, {"Source", want.Source, got.Source},
		{"Owner", want.Owner, got.Owner}, {"Note", want.Note, got.Note},
	} {
		if f.w != f.g {
			add(f.name, fmt.Sprintf("%q", f.w), fmt.Sprintf("%q", f.g))
		}
	}
	if (want.Location == nil) != (got.Location == nil) || want.Location != nil && *want.Location != *got.Location {
		add("Location", want.Location, got.Location)
	}
	eqTime("Start", want.Start, got.Start)
	eqTime("End", want.End, got.End)
	eqTime("CreatedAt", want.CreatedAt, got.CreatedAt)
	eqTime("UpdatedAt", want.UpdatedAt, got.UpdatedAt)
	if want.Category != got.Category {
		add("Category", want.Category, got.Category)
	}
	// nil and empty lists are the same thing to every caller.
	if !slices.Equal(want.Hosts, got.Hosts) {
		add("Hosts", want.Hosts, got.Hosts)
	}
	if !slices.Equal(want.Tags, got.Tags) {
		add("Tags", want.Tags, got.Tags)
	}
	if want.Free != got.Free {
		add("Free", want.Free, got.Free)
	}
	if want.Version != got.Version {
		add("Version", want.Version, got.Version)
	}
	return d
}

func assertSame(t *testing.T, what string, want, got party.Party) {
	t.Helper()
	if d := diff(want, got); len(d) > 0 {
		t.Errorf("%s differs:\n  %s", what, strings.Join(d, "\n  "))
	}
}

func assertKind(t *testing.T, what string, err error, kind apperr.Kind) {
	t.Helper()
	if !apperr.Is(err, kind) {
		t.Fatalf("%s: got error %v (kind %q), want kind %q", what, err, apperr.KindOf(err), kind)
	}
}

func mustCreate(t *testing.T, ctx context.Context, s Store, p party.Party) party.Party {
	t.Helper()
	created, err := s.CreateParty(ctx, p)
	if err != nil {
		t.Fatalf("CreateParty(%s): %v", p.ID, err)
	}
	return created
}

func mustGet(t *testing.T, ctx context.Context, s Store, id string) party.Party {
	t.Helper()
	p, err := s.Party(ctx, id)
	if err != nil {
		t.Fatalf("Party(%s): %v", id, err)
	}
	return p
}

func mustRevision(t *testing.T, ctx context.Context, s Store, conferenceID string) string {
	t.Helper()
	rev, err := s.Revision(ctx, conferenceID)
	if err != nil {
		t.Fatalf("Revision(%s): %v", conferenceID, err)
	}
	return rev
}

// stamped returns p as a caller of SaveParties prepares it.
func stamped(p party.Party, version int64, created, updated time.Time) party.Party {
	p.Version, p.CreatedAt, p.UpdatedAt = version, created, updated
	return p
}

// bigBatch returns n new parties of the conference, ids prefix00000…, one
// a minute from the 20th.
func bigBatch(prefix, conferenceID string, n int, t0 time.Time) []party.Party {
	ps := make([]party.Party, n)
	for i := range ps {
		ps[i] = stamped(minimalParty(fmt.Sprintf("%s%05d", prefix, i), conferenceID, at(20, 10, 0).Add(time.Duration(i)*time.Minute)), 1, t0, t0)
	}
	return ps
}

// heavyBatch returns fewer new parties than MaxBatch that take more than
// MaxBatchBytes together.
func heavyBatch(prefix, conferenceID string, t0 time.Time) []party.Party {
	ps := bigBatch(prefix, conferenceID, party.MaxBatchBytes/party.MaxDescription+1, t0)
	for i := range ps {
		ps[i].Description = strings.Repeat("d", party.MaxDescription)
	}
	return ps
}

// audited returns ctx carrying e as the pending audit entry of a write.
func audited(ctx context.Context, e audit.Entry) context.Context {
	ctx, p := audit.WithPending(ctx)
	p.Set(e)
	return ctx
}
