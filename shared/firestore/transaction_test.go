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
// conflict. What is stored afterwards is whole: what the applied writes
// left, where a write that ran out of time may count as applied (its
// commit was on its way when the bound cut the wait for the answer, as any
// deadline can; "try again" is safe for a swipe, which then repeats). The
// store has its production bounds (the contract suites widen them for the
// emulator).
func TestContendedWritesFailFast(t *testing.T) {
	c := emulatorClient(t)
	b := make([]byte, 6)
	rand.Read(b)
	s := firestore.New(c, firestore.WithCollectionPrefix("t"+hex.EncodeToString(b)+"_"))
	ctx := t.Context()
	const writers = 20

	// check runs the writes at once and checks how each ended; it returns
	// which of them were applied, and which may have been.
	check := func(t *testing.T, write func(i int) error) (applied, maybe []int) {
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
		for i, err := range errs {
			switch {
			case err == nil:
				applied = append(applied, i)
			case apperr.Is(err, apperr.Unavailable):
				maybe = append(maybe, i)
			default:
				t.Errorf("write %d: %v (kind %q), want it applied or Unavailable", i, err, apperr.KindOf(err))
			}
			if took[i] > contendedBound {
				t.Errorf("write %d ended after %v, want within %v", i, took[i], contendedBound)
			}
		}
		t.Logf("%d of %d contending writes applied, %d Unavailable", len(applied), writers, len(maybe))
		return applied, maybe
	}

	t.Run("one decision", func(t *testing.T) {
		actions := []attendee.Action{attendee.Like, attendee.Pass}
		base := time.Date(2025, 8, 20, 18, 0, 0, 0, time.UTC)
		swipe := func(i int) attendee.Swipe {
			return attendee.Swipe{UID: "ada", PartyID: "hot", Action: actions[i%2], At: base.Add(time.Duration(i) * time.Second)}
		}
		applied, maybe := check(t, func(i int) error { _, err := attendeetest.RecordSwipe(ctx, s, swipe(i)); return err })
		got, err := s.Decision(ctx, "ada", "hot")
		if err != nil {
			t.Fatal(err)
		}
		if got.Swipe == nil {
			if len(applied) > 0 || got.Save != nil {
				t.Errorf("stored: no swipe, save %+v; want the decision of one of the applied swipes %v", got.Save, applied)
			}
			return
		}
		found := false
		for _, i := range append(applied, maybe...) {
			found = found || got.Swipe.Action == swipe(i).Action && got.Swipe.At.Equal(swipe(i).At)
		}
		if !found || got.Saved() != got.Swipe.Action.Saves() {
			t.Errorf("stored decision %+v (saved %v) is none of the swipes made", got.Swipe, got.Saved())
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
		applied, maybe := check(t, func(i int) error {
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
		tags := map[string]bool{}
		for _, tag := range got.Tags {
			tags[tag] = true
		}
		for _, i := range applied {
			if !tags[fmt.Sprint("tag", i)] {
				t.Errorf("update %d was applied, but its tag is not among %v", i, got.Tags)
			}
		}
		made := map[string]bool{}
		for _, i := range append(applied, maybe...) {
			made[fmt.Sprint("tag", i)] = true
		}
		for tag := range tags {
			if !made[tag] {
				t.Errorf("tag %s stored, but its update failed otherwise than Unavailable", tag)
			}
		}
		if got.Version != int64(1+len(got.Tags)) || len(tags) != len(got.Tags) {
			t.Errorf("version %d with tags %v: want one version per update, each update once", got.Version, got.Tags)
		}
	})
}
