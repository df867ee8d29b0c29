package firestore_test

import (
	"testing"

	"github.com/partyfinder/partyfinder/shared/party"
)

// Every write of a conference's parties raises its revision document
// once, so an instance checks for changes with one document read; a batch
// raises it once, not once per party.
func TestRevisionIsOneDocument(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s, prefix := prefixed(c)
	createConference(t, s, "revcon", "Rev Con")
	read := func() int64 {
		snap, err := c.Collection(prefix + "revisions").Doc("revcon").Get(ctx)
		if err != nil {
			t.Fatalf("revision document: %v", err)
		}
		n, _ := snap.Data()["n"].(int64)
		return n
	}
	mk := func(id string) party.Party { return night(t, id, "revcon") }
	if _, err := s.CreateParty(ctx, mk("rev-a")); err != nil {
		t.Fatal(err)
	}
	r1, _ := s.Revision(ctx, "revcon")
	if n := read(); n != 1 || r1 != "r1" {
		t.Errorf("after a create: document %d, Revision %q; want 1 and r1", n, r1)
	}
	if _, err := s.UpdateParty(ctx, "rev-a", func(p *party.Party) error { p.Venue = "Hall 7"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateParty(ctx, "rev-a", func(*party.Party) error { return nil }); err != nil { // no change, no write
		t.Fatal(err)
	}
	b, cc := mk("rev-b"), mk("rev-c")
	b.Version, cc.Version = 1, 1
	if err := s.SaveParties(ctx, []party.Party{b, cc}); err != nil {
		t.Fatal(err)
	}
	if n := read(); n != 3 {
		t.Errorf("after an update, an unchanged update and a batch of two: %d, want 3", n)
	}
}
