package attendee

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

func TestDecisionRecord(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	tests := []struct {
		name              string
		swiped            Action // "" = never swiped
		saved             bool
		action            Action
		wantPrev          Action
		wantSaved         bool
		wantAdd, wantDrop bool
		wantSaveAt        time.Time
		wantUnchanged     bool // the decision stays as it was, its swipe time too
	}{
		{"first like saves", "", false, Like, "", true, true, false, t1, false},
		{"first pass saves nothing", "", false, Pass, "", false, false, false, time.Time{}, false},
		{"repeated like changes nothing, not even the times", Like, true, Like, Like, true, false, false, t0, true},
		{"repeated pass changes nothing", Pass, false, Pass, Pass, false, false, false, time.Time{}, true},
		{"like again after its save was removed saves again", Like, false, Like, Like, true, true, false, t1, false},
		{"like turned pass unsaves", Like, true, Pass, Like, false, false, true, time.Time{}, false},
		{"pass turned interested saves", Pass, false, Interested, Pass, true, true, false, t1, false},
		{"like of a party saved by hand keeps that save", "", true, Like, "", true, false, false, t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decision{UID: "u", PartyID: "p"}
			if tt.swiped != "" {
				d.Swipe = &Swipe{UID: "u", PartyID: "p", Action: tt.swiped, At: t0}
			}
			if tt.saved {
				d.Save = &Save{UID: "u", PartyID: "p", At: t0}
			}
			if got := d.Repeats(tt.action); got != tt.wantUnchanged {
				t.Errorf("Repeats(%s) = %v, want %v", tt.action, got, tt.wantUnchanged)
			}
			res := d.Record(tt.action, t1)
			if res.Previous != tt.wantPrev || res.Saved != tt.wantSaved || res.SaveAdded != tt.wantAdd || res.SaveRemoved != tt.wantDrop || res.Unchanged != tt.wantUnchanged {
				t.Errorf("result = %+v, want previous %q saved %v added %v removed %v unchanged %v", res, tt.wantPrev, tt.wantSaved, tt.wantAdd, tt.wantDrop, tt.wantUnchanged)
			}
			wantAt := t1
			if tt.wantUnchanged {
				wantAt = t0
			}
			if d.Swipe == nil || d.Swipe.Action != tt.action || !d.Swipe.At.Equal(wantAt) {
				t.Errorf("swipe = %+v, want %s at %v", d.Swipe, tt.action, wantAt)
			}
			if res.Swipe != *d.Swipe {
				t.Errorf("result swipe %+v, want the decision's %+v", res.Swipe, *d.Swipe)
			}
			if got := d.Save != nil; got != tt.wantSaved {
				t.Fatalf("saved = %v, want %v", got, tt.wantSaved)
			}
			if d.Save != nil && !d.Save.At.Equal(tt.wantSaveAt) {
				t.Errorf("save time = %v, want %v", d.Save.At, tt.wantSaveAt)
			}
			if err := d.Validate(); err != nil {
				t.Errorf("the decision left is invalid: %v", err)
			}
			wantChanged := tt.wantPrev != "" && tt.wantPrev != tt.action
			if res.Changed() != wantChanged {
				t.Errorf("Changed() = %v, want %v", res.Changed(), wantChanged)
			}
		})
	}
}

func TestDecisionSaves(t *testing.T) {
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	d := Decision{UID: "u", PartyID: "p"}
	if d.RemoveSave() {
		t.Error("removing a save that is not there reported a removal")
	}
	if !d.AddSave(at) || d.AddSave(at.Add(time.Hour)) {
		t.Error("AddSave: want true, then false for the second")
	}
	if !d.Save.At.Equal(at) {
		t.Errorf("save time = %v, want the first %v", d.Save.At, at)
	}
	if !d.RemoveSave() || d.Saved() {
		t.Error("RemoveSave did not remove the save")
	}
}

func TestProfileTouch(t *testing.T) {
	t0 := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	p := NewProfile("u")
	p.Touch(t0)
	if !p.CreatedAt.Equal(t0) || !p.UpdatedAt.Equal(t0) {
		t.Fatalf("new profile stamped %v / %v, want %v for both", p.CreatedAt, p.UpdatedAt, t0)
	}
	p.Touch(t0.Add(-time.Hour)) // a clock that stepped back
	if !p.CreatedAt.Equal(t0) || !p.UpdatedAt.After(t0) {
		t.Errorf("after a clock step back: created %v updated %v; want created kept and updated after %v", p.CreatedAt, p.UpdatedAt, t0)
	}
	later := t0.Add(time.Hour)
	p.Touch(later)
	if !p.UpdatedAt.Equal(later) || !p.CreatedAt.Equal(t0) {
		t.Errorf("later change: created %v updated %v", p.CreatedAt, p.UpdatedAt)
	}
}

func TestProfileChanges(t *testing.T) {
	a := Profile{UID: "u", DisplayName: "Ada", Visibility: Private}
	b := a
	if got := a.Changes(b); len(got) != 0 {
		t.Errorf("Changes of equal profiles = %v", got)
	}
	b.DisplayName, b.Persona = "Ada L.", Developer
	if got := a.Changes(b); !slices.Equal(got, []string{"displayName", "persona"}) {
		t.Errorf("Changes = %v, want displayName and persona", got)
	}
}

func TestCalendarLinkIssue(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	l := CalendarLink{UID: "u"}
	first := l.Issue(secret, time.Time{}, false)
	if l.Generation != 1 || l.TokenHash != HashToken(first) {
		t.Fatalf("first issue: %+v", l)
	}
	if again := l.Issue(secret, time.Time{}, false); again != first || l.Generation != 1 {
		t.Errorf("showing the link again changed it: generation %d", l.Generation)
	}
	rotated := l.Issue(secret, time.Time{}, true)
	if rotated == first || l.Generation != 2 || l.TokenHash != HashToken(rotated) {
		t.Errorf("rotation: token unchanged or generation %d", l.Generation)
	}
	other := CalendarLink{UID: "u", Generation: 2, TokenHash: "stale-hash-from-another-secret"}
	if tok := other.Issue(secret, time.Time{}, false); tok != rotated || other.TokenHash != HashToken(rotated) {
		t.Error("a hash from another secret was not replaced by the working token's")
	}
	if err := l.Validate(); err != nil {
		t.Error(err)
	}
}

func TestUpdatesKeepOwnerAndInvariants(t *testing.T) {
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	refused := errors.New("refused")
	d := Decision{UID: "u", PartyID: "p"}
	if _, err := d.Update(func(d *Decision) error { d.Record(Like, at); return refused }); !errors.Is(err, refused) {
		t.Errorf("the closure's error = %v", err)
	}
	if _, err := d.Update(func(d *Decision) error { d.Save = &Save{UID: "v", PartyID: "p", At: at}; return nil }); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("a save of another user = %v, want Invalid", err)
	}
	if _, err := d.Update(func(d *Decision) error { d.Record("superlike", at); return nil }); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("an unknown action = %v, want Invalid", err)
	}
	p := NewProfile("u")
	if _, err := p.Update(func(p *Profile) error { p.UID = "v"; return nil }); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("a profile moved to another user = %v, want Invalid", err)
	}
	l := CalendarLink{UID: "u", Generation: 1, TokenHash: "h"}
	if _, changed, err := l.Update(func(*CalendarLink) error { return nil }); changed || err != nil {
		t.Errorf("an untouched link: changed %v, %v", changed, err)
	}
	if _, _, err := l.Update(func(l *CalendarLink) error { l.Generation = 0; return nil }); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("generation 0 = %v, want Invalid", err)
	}
}
