package partytest

import (
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/party"
)

func testRevision(t *testing.T, s Store) {
	ctx := testContext(t)
	const conf, other = "gamescom2025", "devcom2025"
	seen := map[string]string{}
	step := func(name string, write func() error) {
		t.Helper()
		before := mustRevision(t, ctx, s, conf)
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after := mustRevision(t, ctx, s, conf)
		if after == before {
			t.Errorf("revision did not change after %s (%q)", name, after)
		}
		if prev, ok := seen[after]; ok {
			t.Errorf("revision %q after %s repeats the one after %s", after, name, prev)
		}
		seen[after] = name
		if again := mustRevision(t, ctx, s, conf); again != after {
			t.Errorf("revision not stable after %s: %q then %q", name, after, again)
		}
	}
	seen[mustRevision(t, ctx, s, conf)] = "start"

	step("CreateParty", func() error {
		_, err := s.CreateParty(ctx, fullParty("r1", conf))
		return err
	})
	step("UpdateParty", func() error {
		_, err := s.UpdateParty(ctx, "r1", func(p *party.Party) error { p.Price = "Free"; p.Free = true; return nil })
		return err
	})
	step("cancellation", func() error {
		_, err := s.UpdateParty(ctx, "r1", func(p *party.Party) error { p.Status = party.Cancelled; return nil })
		return err
	})
	step("SaveParties create", func() error {
		return s.SaveParties(ctx, []party.Party{stamped(minimalParty("r2", conf, at(22, 10, 0)), 1, time.Now(), time.Now())})
	})
	step("SaveParties update", func() error {
		p := mustGet(t, ctx, s, "r2")
		p.Title, p.Version = "Renamed", p.Version+1
		return s.SaveParties(ctx, []party.Party{p})
	})

	rev := mustRevision(t, ctx, s, conf)
	if _, err := s.CreateParty(ctx, minimalParty("elsewhere", other, at(20, 10, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateParty(ctx, "elsewhere", func(p *party.Party) error { p.Title = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := mustRevision(t, ctx, s, conf); got != rev {
		t.Errorf("revision of %s changed from %q to %q by writes to %s", conf, rev, got, other)
	}
	if got := mustRevision(t, ctx, s, other); got == mustRevision(t, ctx, s, "empty2025") {
		t.Errorf("revision of %s with parties equals that of a conference without any", other)
	}
}
