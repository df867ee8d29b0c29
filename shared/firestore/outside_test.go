package firestore_test

import (
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Writes made in the console take their place in the conference's order
// of changes when the trigger reports them: an edit, a creation and a
// deletion, each once however often the trigger is delivered.
func TestOutsideWritesTakePositions(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s := isolated(t, c)
	createConference(t, s, "outcon", "Out Con")
	mk := func(id string) party.Party {
		p := night(t, id, "outcon")
		p.Venue = "Bootshaus"
		return p
	}
	stored, err := s.CreateParty(ctx, mk("out-a"))
	if err != nil {
		t.Fatal(err)
	}
	log0, err := s.ChangeLog(ctx, "outcon")
	if err != nil {
		t.Fatal(err)
	}
	changesAfter := func(seq int64) []party.Change {
		t.Helper()
		cs, err := s.Changes(ctx, "outcon", seq, 0)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}

	// An edit in the console: the venue moves, the position does not.
	edited := stored.Clone()
	edited.Venue = "Stadtgarten"
	if err := firestore.WriteOutside(ctx, s, edited); err != nil {
		t.Fatal(err)
	}
	if cs := changesAfter(log0.Last); len(cs) != 0 {
		t.Fatalf("the console's edit recorded itself: %+v", cs)
	}
	if err := s.RecordOutsideWrite(ctx, &stored, &edited); err != nil {
		t.Fatal(err)
	}
	now, err := s.Party(ctx, "out-a")
	if err != nil {
		t.Fatal(err)
	}
	cs := changesAfter(log0.Last)
	if len(cs) != 1 || cs[0].Seq != log0.Last+1 || now.Seq != cs[0].Seq || !slices.Equal(cs[0].Changed, []string{"venue"}) ||
		cs[0].Before.Venue != "Bootshaus" || cs[0].After.Venue != "Stadtgarten" || now.Venue != "Stadtgarten" {
		t.Fatalf("after recording the edit: party at %d with venue %q, changes %+v", now.Seq, now.Venue, cs)
	}
	// The trigger of the position written back, and the edit's trigger
	// delivered again: nothing more.
	if err := s.RecordOutsideWrite(ctx, &edited, &now); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutsideWrite(ctx, &stored, &edited); err != nil {
		t.Fatal(err)
	}
	if cs := changesAfter(log0.Last); len(cs) != 1 {
		t.Errorf("a redelivered trigger recorded the edit again: %+v", cs)
	}

	// A party created in the console, and a public one deleted there.
	fresh := mk("out-b")
	if err := firestore.WriteOutside(ctx, s, fresh); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutsideWrite(ctx, nil, &fresh); err != nil {
		t.Fatal(err)
	}
	if err := firestore.DeleteOutside(ctx, s, "out-a"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutsideWrite(ctx, &now, nil); err != nil {
		t.Fatal(err)
	}
	cs = changesAfter(now.Seq)
	if len(cs) != 2 || cs[0].PartyID != "out-b" || !cs[0].Created || cs[1].PartyID != "out-a" || !cs[1].Hidden {
		t.Fatalf("after a console creation and deletion: %+v", cs)
	}
	log, err := s.ChangeLog(ctx, "outcon")
	if err != nil {
		t.Fatal(err)
	}
	if log.Last != cs[1].Seq || len(log.Tombstones) != 1 || log.Tombstones[0].PartyID != "out-a" {
		t.Errorf("change log after the deletion: %+v", log)
	}
	b, err := s.Party(ctx, "out-b")
	if err != nil || b.Seq != cs[0].Seq {
		t.Fatalf("the console's party stands at %d (%v), want %d", b.Seq, err, cs[0].Seq)
	}

	// Moved to another conference in the console: it leaves a tombstone
	// in the conference it left, and is a change of the other.
	createConference(t, s, "othercon", "Other Con")
	movedTo := b.Clone()
	movedTo.ConferenceID = "othercon"
	if err := firestore.WriteOutside(ctx, s, movedTo); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutsideWrite(ctx, &b, &movedTo); err != nil {
		t.Fatal(err)
	}
	left := changesAfter(log.Last)
	joined, err := s.Changes(ctx, "othercon", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	now, err = s.Party(ctx, "out-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].PartyID != "out-b" || !left[0].Hidden || len(joined) != 1 || joined[0].PartyID != "out-b" ||
		joined[0].Hidden || now.Seq != joined[0].Seq || now.ConferenceID != "othercon" {
		t.Errorf("after a move: the old conference's changes %+v, the new one's %+v, the party at %d in %s", left, joined, now.Seq, now.ConferenceID)
	}
}
