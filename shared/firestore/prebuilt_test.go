package firestore_test

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/feed"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
)

// The store is the feed's shared cache tier where there is no Redis.
var _ feed.Shared = (*firestore.Store)(nil)

// The shared revision is the store's revision: a party write and Bump
// raise it, keeping a prebuilt snapshot does not. Bump drops the snapshot;
// Prebuilt reads both in one call.
func TestSharedTier(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s := isolated(t, c)
	createConference(t, s, "tiercon", "Tier Con")
	p, err := party.New(party.Party{ID: "tier-a", ConferenceID: "tiercon", Title: "Night A",
		Start: time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC), Status: party.Published})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateParty(ctx, p); err != nil {
		t.Fatal(err)
	}
	want := func(step, wantRev string, wantData []byte) {
		t.Helper()
		rev, data, err := s.Prebuilt(ctx, "tiercon")
		if err != nil {
			t.Fatalf("%s: Prebuilt: %v", step, err)
		}
		if rev != wantRev || !bytes.Equal(data, wantData) || (data == nil) != (wantData == nil) {
			t.Errorf("%s: Prebuilt = %q, %q; want %q, %q", step, rev, data, wantRev, wantData)
		}
		if r, err := s.Revision(ctx, "tiercon"); err != nil || r != rev {
			t.Errorf("%s: Revision = %q, %v; want %q as Prebuilt says", step, r, err, rev)
		}
	}
	want("after a create", "r1", nil)

	blob := []byte("\x1f\x8b prebuilt")
	if err := s.SavePrebuilt(ctx, "tiercon", blob); err != nil {
		t.Fatal(err)
	}
	want("after SavePrebuilt", "r1", blob)

	if err := s.Bump(ctx, "tiercon"); err != nil {
		t.Fatal(err)
	}
	want("after Bump", "r2", nil)

	if err := s.SavePrebuilt(ctx, "tiercon", blob); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateParty(ctx, "tier-a", func(p *party.Party) error { p.Venue = "Hall 7"; return nil }); err != nil {
		t.Fatal(err)
	}
	// A party write raises the revision and leaves the snapshot, which the
	// feed then sees is of an older revision.
	want("after a party write", "r3", blob)

	replaced := []byte("newer")
	if err := s.SavePrebuilt(ctx, "tiercon", replaced); err != nil {
		t.Fatal(err)
	}
	want("after a second SavePrebuilt", "r3", replaced)
}

// A conference none of whose parties were written since revisions exist
// has no revision document: Prebuilt then says what Revision says.
func TestSharedTierWithoutRevisionDocument(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s := isolated(t, c)
	rev, data, err := s.Prebuilt(ctx, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Revision(ctx, "quiet"); rev != r || data != nil {
		t.Errorf("Prebuilt = %q, %q; want Revision's %q and no data", rev, data, r)
	}
	if err := s.SavePrebuilt(ctx, "quiet", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if rev2, data, err := s.Prebuilt(ctx, "quiet"); err != nil || rev2 != rev || string(data) != "x" {
		t.Errorf("after SavePrebuilt: %q, %q, %v; want %q, x", rev2, data, err, rev)
	}
	if err := s.Bump(ctx, "quiet"); err != nil {
		t.Fatal(err)
	}
	if rev, data, err := s.Prebuilt(ctx, "quiet"); err != nil || rev != "r1" || data != nil {
		t.Errorf("after Bump: %q, %q, %v; want r1 and no data", rev, data, err)
	}
}

// A Firestore document holds at most 1 MiB: a larger snapshot is refused
// (the feed then reads the store), one up to 1,000,000 bytes is kept whole.
func TestSavePrebuiltLimit(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s := isolated(t, c)
	big := make([]byte, 1_000_000)
	rand.Read(big)
	if err := s.SavePrebuilt(ctx, "bigcon", big); err != nil {
		t.Fatalf("1,000,000 bytes: %v", err)
	}
	if _, data, err := s.Prebuilt(ctx, "bigcon"); err != nil || !bytes.Equal(data, big) {
		t.Errorf("1,000,000 bytes read back: %d bytes, %v", len(data), err)
	}
	err := s.SavePrebuilt(ctx, "bigcon", append(big, 0))
	if !apperr.Is(err, apperr.Invalid) {
		t.Errorf("1,000,001 bytes: %v; want Invalid", err)
	}
	if _, data, _ := s.Prebuilt(ctx, "bigcon"); !bytes.Equal(data, big) {
		t.Errorf("a refused snapshot replaced the kept one")
	}
}

func TestSharedTierRefusesBadConferenceIDs(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s := isolated(t, c)
	for _, id := range []string{"", "a/b", "..", "__x__"} {
		if err := s.Bump(ctx, id); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("Bump(%q) = %v; want Invalid", id, err)
		}
		if err := s.SavePrebuilt(ctx, id, []byte("x")); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("SavePrebuilt(%q) = %v; want Invalid", id, err)
		}
		if _, data, err := s.Prebuilt(ctx, id); err != nil || data != nil {
			t.Errorf("Prebuilt(%q) = %q, %v; want no data and no error", id, data, err)
		}
	}
}
