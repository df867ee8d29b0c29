package command_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/command"
	"github.com/partyfinder/partyfinder/shared/demo/demotest"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/identity"
	"github.com/partyfinder/partyfinder/shared/party"
)

var (
	anonymous = identity.Identity{}
	attendeeU = identity.Identity{UID: "att"}
	owner     = identity.Identity{UID: "org-1", Roles: []identity.Role{identity.Organizer}}
	other     = identity.Identity{UID: "org-2", Roles: []identity.Role{identity.Organizer}}
	trusted   = identity.Identity{UID: "org-3", Roles: []identity.Role{identity.Organizer, identity.Trusted}}
	admin     = identity.Identity{UID: "boss", Roles: []identity.Role{identity.Admin}}
)

func submission(conf string) party.Party {
	start := time.Date(2026, 8, 19, 20, 0, 0, 0, time.UTC)
	return party.Party{ConferenceID: conf, Title: "Indie Night <script>alert(1)</script> 🎮", Venue: "Bootshaus",
		Start: start, End: start.Add(5 * time.Hour), Category: party.NewCategory("Party")}
}

// Who may do what, through the use case, on a real store.
func TestOrganizersAuthorization(t *testing.T) {
	type action func(uc *command.Organizers, who identity.Identity, id string) error
	submit := func(uc *command.Organizers, who identity.Identity, _ string) error {
		// force: who may submit is under test here, not duplicates
		_, _, _, err := uc.Submit(context.Background(), who, submission(demotest.Store(t).Conference.ID), "", true)
		return err
	}
	edit := func(uc *command.Organizers, who identity.Identity, id string) error {
		_, _, err := uc.Edit(context.Background(), who, id, 0, false, func(p *party.Party) error { p.Title = "Renamed by " + who.UID; return nil })
		return err
	}
	cancel := func(uc *command.Organizers, who identity.Identity, id string) error {
		_, _, err := uc.Cancel(context.Background(), who, id, 0, "rain")
		return err
	}
	publish := func(uc *command.Organizers, who identity.Identity, id string) error {
		_, _, err := uc.Publish(context.Background(), who, id, 0)
		return err
	}
	reject := func(uc *command.Organizers, who identity.Identity, id string) error {
		_, _, err := uc.Reject(context.Background(), who, id, 0, "not a party")
		return err
	}
	actions := map[string]action{"submit": submit, "edit": edit, "cancel": cancel, "publish": publish, "reject": reject}
	allowed := map[string]map[string]bool{ // action → who → allowed, on a pending party owned by "owner"
		"submit":  {"owner": true, "other": true, "trusted": true, "admin": true},
		"edit":    {"owner": true, "admin": true},
		"cancel":  {"owner": true, "admin": true},
		"publish": {"admin": true},
		"reject":  {"admin": true},
	}
	whos := map[string]identity.Identity{"anonymous": anonymous, "attendee": attendeeU, "owner": owner, "other": other, "trusted": trusted, "admin": admin}
	for name, act := range actions {
		for whoName, who := range whos {
			t.Run(name+"/"+whoName, func(t *testing.T) {
				seeded := demotest.Store(t)
				uc := &command.Organizers{Store: seeded.Store}
				p, _, _, err := uc.Submit(context.Background(), owner, submission(seeded.Conference.ID), "", false)
				if err != nil {
					t.Fatal(err)
				}
				err = act(uc, who, p.ID)
				if want := allowed[name][whoName]; want != (err == nil) {
					t.Fatalf("%s by %s: %v, want allowed %v", name, whoName, err, want)
				}
				if err != nil && !apperr.Is(err, apperr.Forbidden) {
					t.Errorf("refused with %v, want Forbidden", err)
				}
				if err != nil && name != "submit" {
					if got, _ := seeded.Store.Party(context.Background(), p.ID); got.Version != p.Version {
						t.Errorf("a refused %s wrote version %d", name, got.Version)
					}
				}
			})
		}
	}
}

// Submissions wait for moderation unless an admin or a trusted organizer
// submits; publishing and rejecting move them, with events.
func TestOrganizersModerationFlow(t *testing.T) {
	seeded := demotest.Store(t)
	uc := &command.Organizers{Store: seeded.Store}
	ctx := context.Background()
	for _, tc := range []struct {
		who  identity.Identity
		want party.Status
	}{{owner, party.Pending}, {trusted, party.Published}, {admin, party.Published}} {
		p, created, events, err := uc.Submit(ctx, tc.who, submission(seeded.Conference.ID), "", true)
		if err != nil || !created {
			t.Fatal(err)
		}
		if p.Status != tc.want || p.Owner != tc.who.UID || p.Version != 1 || len(events) == 0 {
			t.Errorf("%s submitted: status %s owner %q version %d, %d events; want %s", tc.who.UID, p.Status, p.Owner, p.Version, len(events), tc.want)
		}
		if p.Title != "Indie Night <script>alert(1)</script> 🎮" {
			t.Errorf("title stored as %q: text is stored as written", p.Title)
		}
	}
	p, _, _, _ := uc.Submit(ctx, owner, submission(seeded.Conference.ID), "", true)
	rejected, events, err := uc.Reject(ctx, admin, p.ID, p.Version, "a booth, not a party")
	if err != nil || rejected.Status != party.Rejected || rejected.Note != "a booth, not a party" || len(events) != 1 {
		t.Fatalf("reject: %+v %v %v", rejected.Status, events, err)
	}
	published, events, err := uc.Publish(ctx, admin, p.ID, rejected.Version)
	if err != nil || published.Status != party.Published || published.Note != "" || !hasType(events, party.TypePublished) {
		t.Fatalf("publish: %s %v %v", published.Status, events, err)
	}
	if _, _, err := uc.Reject(ctx, admin, p.ID, 0, "too late"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("rejecting a published party: %v, want Conflict (cancel it instead)", err)
	}
	if _, _, err := uc.Cancel(ctx, owner, p.ID, 0, " "); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("cancel without a reason: %v, want Invalid", err)
	}
	cancelled, events, err := uc.Cancel(ctx, owner, p.ID, 0, "venue flooded")
	if err != nil || cancelled.Status != party.Cancelled || !hasType(events, party.TypeCancelled) {
		t.Fatalf("cancel: %s %v %v", cancelled.Status, events, err)
	}
	if _, _, err := uc.Edit(ctx, owner, p.ID, 0, false, func(q *party.Party) error { q.Status = party.Published; q.Owner = "me"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := seeded.Store.Party(ctx, p.ID); got.Status != party.Cancelled || got.Owner != owner.UID {
		t.Errorf("an edit changed the moderation state or owner: %s %q", got.Status, got.Owner)
	}
}

func hasType(events []event.Event, typ string) bool {
	for _, e := range events {
		if e.EventMeta().Type == typ {
			return true
		}
	}
	return false
}

// An edit against an older version is Stale and writes nothing; of two
// concurrent edits against one version exactly one wins.
func TestOrganizersEditsAgainstAVersion(t *testing.T) {
	seeded := demotest.Store(t)
	uc := &command.Organizers{Store: seeded.Store}
	ctx := context.Background()
	p, _, _, _ := uc.Submit(ctx, owner, submission(seeded.Conference.ID), "", false)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			_, _, errs[i] = uc.Edit(ctx, owner, p.ID, p.Version, false, func(q *party.Party) error {
				q.Title = []string{"First edit", "Second edit"}[i]
				return nil
			})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !apperr.Is(err, apperr.Stale):
			t.Errorf("the losing edit: %v, want Stale", err)
		}
	}
	if won != 1 {
		t.Errorf("%d edits won, want exactly 1 (%v)", won, errs)
	}
	if got, _ := seeded.Store.Party(ctx, p.ID); got.Version != p.Version+1 {
		t.Errorf("version %d after two concurrent edits, want %d", got.Version, p.Version+1)
	}
}

// A submission retried with one idempotency key is one party; the key
// with another party is KeyReused.
func TestOrganizersIdempotentSubmit(t *testing.T) {
	seeded := demotest.Store(t)
	uc := &command.Organizers{Store: seeded.Store}
	ctx := context.Background()
	first, created, _, err := uc.Submit(ctx, owner, submission(seeded.Conference.ID), "key-1", false)
	if err != nil || !created {
		t.Fatal(err)
	}
	again, created, events, err := uc.Submit(ctx, owner, submission(seeded.Conference.ID), "key-1", false)
	if err != nil || created || again.ID != first.ID || len(events) != 0 {
		t.Errorf("retry: created %v id %s (first %s), %d events, %v; want the first party back", created, again.ID, first.ID, len(events), err)
	}
	otherParty := submission(seeded.Conference.ID)
	otherParty.Title = "Something else"
	if _, _, _, err := uc.Submit(ctx, owner, otherParty, "key-1", false); !apperr.Is(err, apperr.KeyReused) {
		t.Errorf("the key with another party: %v, want KeyReused", err)
	}
	if _, created, _, err := uc.Submit(ctx, other, submission(seeded.Conference.ID), "key-1", true); err != nil || !created {
		t.Errorf("another organizer's same key: created %v, %v; keys are per organizer", created, err)
	}
}

// A submission that likely repeats a party of the conference is refused
// with the candidates; force stores it anyway.
func TestOrganizersDuplicates(t *testing.T) {
	seeded := demotest.Store(t)
	uc := &command.Organizers{Store: seeded.Store}
	ctx := context.Background()
	first, _, _, err := uc.Submit(ctx, owner, submission(seeded.Conference.ID), "", false)
	if err != nil {
		t.Fatal(err)
	}
	again := submission(seeded.Conference.ID)
	again.Title = "indie night <script>alert(1)</script> 🎮!" // case and punctuation
	again.Start = again.Start.Add(30 * time.Minute)
	_, _, _, err = uc.Submit(ctx, other, again, "", false)
	var dup *command.DuplicateError
	if !errors.As(err, &dup) || !apperr.Is(err, apperr.Conflict) || len(dup.Matches) == 0 || dup.Matches[0].Party.ID != first.ID {
		t.Fatalf("a likely duplicate: %v, want a Conflict naming %s", err, first.ID)
	}
	if _, created, _, err := uc.Submit(ctx, other, again, "", true); err != nil || !created {
		t.Errorf("forced: created %v, %v", created, err)
	}
	elsewhere := submission(seeded.Conference.ID)
	elsewhere.Title, elsewhere.Venue = "Publisher Breakfast", "Hyatt Regency"
	elsewhere.Start = elsewhere.Start.Add(-12 * time.Hour)
	elsewhere.End = elsewhere.Start.Add(2 * time.Hour)
	if _, _, _, err := uc.Submit(ctx, other, elsewhere, "", false); err != nil {
		t.Errorf("an unrelated party was refused: %v", err)
	}
}
