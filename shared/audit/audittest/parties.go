package audittest

import (
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

// The parties the suite writes. Their fields matter only as far as the
// entries' before and after states show them: every field is set where it
// can be, so that a store losing one from a state is caught.

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
		End:          at(21, 2, 15),
		Category:     party.NewCategory("Exec Social"),
		Hosts:        []string{"Ubisoft", "Épique Studios"},
		Price:        "From £13.16",
		Link:         "https://example.com/parties/köln?x=1&y=2",
		Focus:        "Developers, Publishers",
		Tags:         []string{"indie", "networking"},
		Status:       party.Published,
		Source:       "gamescom-sheets",
	}
}

// minimalParty returns a valid party with only the required fields.
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

// stamped returns p as a caller of SaveParties prepares it.
func stamped(p party.Party, version int64, created, updated time.Time) party.Party {
	p.Version, p.CreatedAt, p.UpdatedAt = version, created, updated
	return p
}
