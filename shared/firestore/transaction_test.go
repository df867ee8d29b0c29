package firestore_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
	"github.com/partyfinder/partyfinder/shared/attendee/attendeetest"
	"github.com/partyfinder/partyfinder/shared/firestore"
	"github.com/partyfinder/partyfinder/shared/party"
)

// contendedBound is how long a write contending for one document may
// take to end: the store's budget is two seconds; the rest is margin for
// the rollback and a loaded machine. Before, such writes queued for up to
// fifteen tries with backoff, and a request waited out its deadline.
const contendedBound = 5 * time.Second

// Writes that contend for one document, here one user's decision about
// one party changed by many requests at once and one party edited by many
// organizers at once, each end within the bound: applied, or Unavailable
// (the HTTP edge's 503 with Retry-After), never an internal error or a
// conflict. What is stored afterwards is what one of the applied writes
// left. The store has its production bounds (the contract suites widen
// them for the emulator).
func TestContendedWritesFailFast(t *testing.T) {
	c := emulatorClient(t)
	b := make([]byte, 6)
	rand.Read(b)
	s := firestore.New(c, firestore.WithCollectionPrefix("t"+hex.EncodeToString(b)+"_"))
	ctx := t.Context()
	const writers = 20

	// check runs the writes at once and checks how each ended; it returns
	// which of them were applied.
	check := func(t *testing.T, write func(i int) error) []int {
		t.Helper()
		errs := make([]error, writers)
		took := make([]time.Duration, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				began := time.Now()
				errs[i] = write(i)
				took[i] = time.Since(began)
			})
		}
		wg.Wait()
		var applied []int
		for i, err := range errs {
			switch {
			case err == nil:
				applied = append(applied, i)
			case !apperr.Is(err, apperr.Unavailable):
				t.Errorf("write %d: %v (kind %q), want it applied or Unavailable", i, err, apperr.KindOf(err))
			}
			if took[i] > contendedBound {
				t.Errorf("write %d ended after %v, want within %v", i, took[i], contendedBound)
			}
		}
		t.Logf("%d of %d contending writes applied", len(applied), writers)
		return applied
	}

	t.Run("one decision", func(t *testing.T) {
		actions := []attendee.Action{attendee.Like, attendee.Pass}
		base := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
		swipe := func(i int) attendee.Swipe {
			return attendee.Swipe{UID: "ada", PartyID: "hot", Action: actions[i%2], At: base.Add(time.Duration(i) * time.Second)}
		}
		applied := check(t, func(i int) error { _, err := attendeetest.RecordSwipe(ctx, s, swipe(i)); return err })
		got, err := s.Decision(ctx, "ada", "hot")
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) == 0 {
			if got.Swipe != nil {
				t.Errorf("no swipe was applied, yet %+v is stored", got.Swipe)
			}
			return
		}
		found := false
		for _, i := range applied {
			found = found || got.Swipe != nil && got.Swipe.Action == swipe(i).Action && got.Swipe.At.Equal(swipe(i).At)
		}
		if !found || got.Saved() != got.Swipe.Action.Saves() {
			t.Errorf("stored decision %+v (saved %v) is none of the applied swipes %v", got.Swipe, got.Saved(), applied)
		}
	})

	t.Run("one party", func(t *testing.T) {
		p, err := party.New(party.Party{ID: "hot-party", ConferenceID: "gamescom2025", Title: "Hot",
			Start: time.Date(2025, 8, 20, 20, 0, 0, 0, time.UTC), Status: party.Published, Category: party.NewCategory("")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateParty(ctx, p); err != nil {
			t.Fatal(err)
		}
		applied := check(t, func(i int) error {
			_, err := s.UpdateParty(ctx, p.ID, func(p *party.Party) error {
				p.Tags = append(p.Tags, fmt.Sprint("tag", i))
				return nil
			})
			return err
		})
		got, err := s.Party(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != int64(1+len(applied)) || len(got.Tags) != len(applied) {
			t.Errorf("version %d and tags %v after %d applied updates; want version %d and one tag each",
				got.Version, got.Tags, len(applied), 1+len(applied))
		}
	})
}
