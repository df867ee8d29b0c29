package blackbox_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// An attendee saved a party; the organizer moves it an hour later and to
// another venue. The attendee's digest says so with before and after, and
// the saved list flags it.
func TestChangeDigestOverHTTP(t *testing.T) {
	s := shared
	day := partiesOf(t, s).published[0]
	admin := signIn(t, s, `{"uid":"admin-digest","roles":["admin"]}`)
	r := s.as(t, admin, http.MethodPost, "/api/parties", submitBody(day.ConferenceID, day.Date, "Digest Night"))
	wantStatus(t, r, http.StatusCreated, "an admin's party")
	p := decode[envelope[writtenJSON]](t, r).Data
	u := signIn(t, s, "")
	s.save(t, u, p.ID)

	r = s.as(t, admin, http.MethodPatch, "/api/parties/"+p.ID, `{"time":"22:00","venue":"Gloria Theater"}`, "If-Match", r.Header.Get("ETag"))
	wantStatus(t, r, http.StatusOK, "the organizer moves the party")
	moved := decode[envelope[writtenJSON]](t, r).Data

	type digestJSON []struct {
		PartyID string `json:"partyId"`
		Changes []struct {
			Kinds  []string          `json:"kinds"`
			Before map[string]string `json:"before"`
			After  map[string]string `json:"after"`
		} `json:"changes"`
	}
	var digest digestJSON
	consistent(t, s, func() error {
		r := s.as(t, u, http.MethodGet, "/api/me/changes", "")
		wantStatus(t, r, http.StatusOK, "GET /api/me/changes")
		digest = decode[envelope[digestJSON]](t, r).Data
		if len(digest) != 1 {
			return fmt.Errorf("the digest lists %d parties, want the moved one", len(digest))
		}
		return nil
	})
	c := digest[0]
	if c.PartyID != p.ID || len(c.Changes) != 1 || !slices.Equal(c.Changes[0].Kinds, []string{"time", "venue"}) ||
		c.Changes[0].Before["start"] != p.Start || c.Changes[0].After["start"] != moved.Start || c.Changes[0].After["venue"] != "Gloria Theater" {
		t.Errorf("the digest: %+v (the party started %s, now %s)", c, p.Start, moved.Start)
	}
	checkFields(t, s.asRaw(t, u, http.MethodGet, "/api/me/changes?since=yesterday", nil), "a since that is no time", "since")
}
