package partyfinder

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/partyfinder/partyfinder/shared/sqlite"
)

// An instance deployed for one function builds only the parts that
// function uses: a cold parties instance builds no attendee caches, and a
// swipe instance no feed snapshot.
func TestEachFunctionBuildsOnlyWhatItNeeds(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "fn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	want := map[string][]string{
		FnParties:     {"feed"},
		FnConferences: {"feed"},
		FnPartyDays:   {"feed"},
		FnCalendar:    {"feed", "personal views"},
		FnHealth:      nil,
		FnOpenAPI:     nil,
		FnSwipe:       {"analytics aggregator", "attendee commands", "erasure gate"},
		FnMe:          {"analytics aggregator", "attendee commands", "erasure gate", "feed", "personal views"},
		FnAnalytics:   {"analytics aggregator", "erasure gate", "feed"},
	}
	if len(want) != len(Functions) {
		t.Fatalf("the test knows %d functions, the table has %d: add the new one here", len(want), len(Functions))
	}
	for _, f := range Functions {
		t.Run(f.Name, func(t *testing.T) {
			a := New(Config{Store: StoreSQLite, Local: true}, store, Auth{})
			if a.Handler(f.Name) == nil {
				t.Fatal("no handler")
			}
			got := a.Built()
			slices.Sort(got)
			if !slices.Equal(got, want[f.Name]) {
				t.Errorf("built %v, want exactly %v", got, want[f.Name])
			}
			a.Handler(f.Name)
			if again := a.Built(); len(again) != len(got) {
				t.Errorf("a second call built more: %v", again)
			}
		})
	}
	if a := New(Config{Store: StoreSQLite}, store, Auth{}); a.Handler("nope") != nil {
		t.Error("an unknown function has a handler")
	}
}
