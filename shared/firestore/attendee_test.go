package firestore_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	gfs "cloud.google.com/go/firestore"

	"github.com/partyfinder/partyfinder/shared/analytics"
	"github.com/partyfinder/partyfinder/shared/analytics/analyticstest"
	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/attendee/attendeetest"
	"github.com/partyfinder/partyfinder/shared/firestore"
)

func TestAttendeeContract(t *testing.T) {
	c := emulatorClient(t)
	attendeetest.Run(t, func(t *testing.T) attendee.Repository { return isolated(t, c) })
}

// prefixed returns a store under a fresh collection prefix, and the prefix,
// for tests that look at the documents themselves.
func prefixed(c *gfs.Client) (*firestore.Store, string) {
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "t" + hex.EncodeToString(b) + "_"
	s := firestore.New(c, firestore.WithCollectionPrefix(prefix))
	firestore.SetTransactionBudget(s, emulatorTxBudget)
	return s, prefix
}

// The documents sit where firestore.rules and other readers expect them,
// under the store's prefix, with the field names the rules name.
func TestAttendeeLayout(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s, prefix := prefixed(c)
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	if _, err := attendeetest.SaveProfile(ctx, s, attendee.Profile{UID: "ada", DisplayName: "Ada", Persona: attendee.Investor, Visibility: attendee.Public}); err != nil {
		t.Fatal(err)
	}
	if _, err := attendeetest.RecordSwipe(ctx, s, attendee.Swipe{UID: "ada", PartyID: "p1", Action: attendee.Interested, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := attendeetest.SetToken(ctx, s, "ada", 3, "abc123"); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		prefix + "users/ada": {
			"displayName": "Ada", "company": "", "jobTitle": "", "persona": "investor", "visibility": "public",
			"calendarGeneration": int64(3), "calendarTokenHash": "abc123",
		},
		prefix + "users/ada/swipes/p1":   {"partyId": "p1", "action": "interested", "at": at},
		prefix + "users/ada/saves/p1":    {"partyId": "p1", "at": at},
		prefix + "calendarTokens/abc123": {"uid": "ada"},
	}
	for path, fields := range want {
		snap, err := c.Doc(path).Get(ctx)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		data := snap.Data()
		for k, v := range fields {
			got := data[k]
			if tm, ok := got.(time.Time); ok {
				got = tm.UTC()
			}
			if got != v {
				t.Errorf("%s: %s = %#v, want %#v", path, k, data[k], v)
			}
		}
	}
	for _, path := range []string{"users/ada", "calendarTokens/abc123"} {
		if snap, err := c.Doc(path).Get(ctx); err == nil && snap.Exists() {
			t.Errorf("%s exists without the store's prefix", path)
		}
	}
}

// Writing the profile or the calendar link leaves the document's other
// fields alone, including server fields kept by other code (roles); a
// profile a client wrote itself, without timestamps, reads back and gets
// them on the next save.
func TestAttendeeUserDocumentMerges(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s, prefix := prefixed(c)
	doc := c.Doc(prefix + "users/ada")
	if _, err := doc.Set(ctx, map[string]any{"displayName": "Ada", "visibility": "attendees", "roles": []any{"organizer"}}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile(ctx, "ada")
	if err != nil || p.DisplayName != "Ada" || p.Visibility != attendee.Attendees || !p.CreatedAt.IsZero() {
		t.Errorf("client-written profile = %+v, %v; want it read as written, without timestamps", p, err)
	}
	if err := attendeetest.SetToken(ctx, s, "ada", 1, "h1"); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	saved, err := attendeetest.SaveProfile(ctx, s, attendee.Profile{UID: "ada", DisplayName: "Ada L.", Visibility: attendee.Private})
	if err != nil {
		t.Fatal(err)
	}
	if saved.CreatedAt.Before(before.Add(-time.Millisecond)) {
		t.Errorf("CreatedAt of a profile first written by the client = %v, want now", saved.CreatedAt)
	}
	snap, err := doc.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data := snap.Data()
	if roles, _ := data["roles"].([]any); len(roles) != 1 || roles[0] != "organizer" {
		t.Errorf("roles = %v after profile and link writes, want [organizer]", data["roles"])
	}
	if data["calendarTokenHash"] != "h1" || data["displayName"] != "Ada L." {
		t.Errorf("user document = %v, want the link and the new name", data)
	}
	if err := s.DeleteUser(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	if snap, err := doc.Get(ctx); err == nil && snap.Exists() {
		t.Errorf("user document still there after DeleteUser: %v", snap.Data())
	}
}

// DeleteUser gets through more documents than one commit may hold.
func TestAttendeeDeleteManyDocuments(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s, _ := prefixed(c)
	const n = 450 // saves, plus as many swipes: past one commit of each
	at := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				party := fmt.Sprintf("p%03d", i)
				_, err := attendeetest.RecordSwipe(ctx, s, attendee.Swipe{UID: "ada", PartyID: party, Action: attendee.Like, At: at.Add(time.Duration(i) * time.Second)})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	swipes, err := s.Swipes(ctx, "ada")
	if err != nil || len(swipes) != n {
		t.Fatalf("Swipes = %d, %v; want %d", len(swipes), err, n)
	}
	if !slices.IsSortedFunc(swipes, func(a, b attendee.Swipe) int { return a.At.Compare(b.At) }) {
		t.Error("Swipes are not oldest first")
	}
	if err := s.DeleteUser(ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	swipes, err = s.Swipes(ctx, "ada")
	if err != nil || len(swipes) != 0 {
		t.Errorf("Swipes after DeleteUser = %d, %v; want none", len(swipes), err)
	}
	saves, err := s.Saves(ctx, "ada")
	if err != nil || len(saves) != 0 {
		t.Errorf("Saves after DeleteUser = %d, %v; want none", len(saves), err)
	}
}

// A uid that cannot name a document is refused on writes and has no data
// on reads, rather than reaching into another path.
func TestAttendeeUIDNotADocumentID(t *testing.T) {
	c := emulatorClient(t)
	ctx := t.Context()
	s, _ := prefixed(c)
	for _, uid := range []string{"a/b", "..", "__x__"} {
		_, err := attendeetest.SaveProfile(ctx, s, attendee.Profile{UID: uid, Visibility: attendee.Private})
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("SaveProfile(%q) = %v, want Invalid", uid, err)
		}
		_, err = attendeetest.RecordSwipe(ctx, s, attendee.Swipe{UID: uid, PartyID: "p1", Action: attendee.Like})
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("RecordSwipe(%q) = %v, want Invalid", uid, err)
		}
		if err := attendeetest.SetToken(ctx, s, uid, 1, "h"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("SetCalendarToken(%q) = %v, want Invalid", uid, err)
		}
		if _, err := s.Profile(ctx, uid); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Profile(%q) = %v, want NotFound", uid, err)
		}
		if l, err := s.Swipes(ctx, uid); err != nil || len(l) != 0 {
			t.Errorf("Swipes(%q) = %v, %v; want none", uid, l, err)
		}
		if err := s.DeleteUser(ctx, uid); err != nil {
			t.Errorf("DeleteUser(%q) = %v, want nil", uid, err)
		}
	}
	if err := attendeetest.SetToken(ctx, s, "ada", 1, "a/b"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("SetCalendarToken with a hash that cannot name a document = %v, want Invalid", err)
	}
	if _, err := s.UserByCalendarToken(ctx, "a/b"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("UserByCalendarToken(a/b) = %v, want NotFound", err)
	}
}

func TestAnalyticsContract(t *testing.T) {
	c := emulatorClient(t)
	analyticstest.Run(t, func(t *testing.T) analytics.Store { return isolated(t, c) })
}
