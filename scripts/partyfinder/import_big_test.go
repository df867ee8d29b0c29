package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// sideEvents returns a CSV of the numbered side events that keep(i) lets in.
func sideEvents(n int, keep func(int) bool) string {
	var b strings.Builder
	b.WriteString("Event Name,Date,Start Time,Venue\n")
	for i := range n {
		if keep(i) {
			fmt.Fprintf(&b, "Side Event %d,2026-03-%d,%02d:%02d,Venue %d\n", i, 13+i%7, 10+i%12, i%60, i)
		}
	}
	return b.String()
}

func TestImportCommandFiveThousandRowsWithPrune(t *testing.T) {
	// A SXSW-size week in one file and one run; the next week's file
	// lacks 250 of them, and a prune cancels exactly those.
	dir := t.TempDir()
	db := filepath.Join(dir, "partyfinder.db")
	const n = 5000
	gone := func(i int) bool { return i%20 == 7 }
	all := writeFile(t, dir, "all.csv", sideEvents(n, func(int) bool { return true }))
	later := writeFile(t, dir, "later.csv", sideEvents(n, func(i int) bool { return !gone(i) }))
	conf := []string{"--db", db, "--conference", "sxsw2026", "--name", "SXSW 2026", "--city", "Austin", "--tz", "America/Chicago"}

	out, _, err := importCmd(t, append(conf, all)...)
	if err != nil {
		t.Fatal(err)
	}
	if want := "imported 5000 rows into sxsw2026: 5000 accepted (0 with warnings), 0 rejected; 5000 created, 0 updated, 0 unchanged, 0 cancelled"; !strings.Contains(out, want) {
		t.Fatalf("first import output lacks %q:\n%.600s", want, out)
	}
	out, _, err = importCmd(t, append(conf, "--prune", later)...)
	if err != nil {
		t.Fatal(err)
	}
	if want := "imported 4750 rows into sxsw2026: 4750 accepted (0 with warnings), 0 rejected; 0 created, 0 updated, 4750 unchanged, 250 cancelled"; !strings.Contains(out, want) {
		t.Fatalf("pruning import output lacks %q:\n%.600s", want, out)
	}

	s, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps, err := s.PartiesOf(context.Background(), "sxsw2026")
	if err != nil || len(ps) != n {
		t.Fatalf("%d parties stored (%v), want %d", len(ps), err, n)
	}
	for _, p := range ps {
		var i int
		if _, err := fmt.Sscanf(p.Title, "Side Event %d", &i); err != nil {
			t.Fatalf("party %q: %v", p.Title, err)
		}
		if want := map[bool]party.Status{true: party.Cancelled, false: party.Published}[gone(i)]; p.Status != want {
			t.Errorf("%s is %s, want %s", p.Title, p.Status, want)
		}
	}
}
