package resyncsheets_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"

	"github.com/partyfinder/partyfinder/shared/audit"
	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/demo/realdata"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/fetch"
	"github.com/partyfinder/partyfinder/shared/fetch/fetchtest"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/pubsub"
	"github.com/partyfinder/partyfinder/shared/sqlite"
	"github.com/partyfinder/partyfinder/triggers/resyncsheets"
)

// sheet is the published sheet the local HTTPS server serves; a test
// edits it between runs like organizers edit theirs.
type sheet struct {
	mu     sync.Mutex
	body   string
	status int
}

func (s *sheet) set(body string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = body, status
}

func (s *sheet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != "/pub.csv" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(s.status)
	_, _ = w.Write([]byte(s.body))
}

type fixture struct {
	store   *sqlite.Store
	sheet   *sheet
	server  *fetchtest.Server
	handler *resyncsheets.Handler
	events  *recorder
}

// recorder keeps the events the imports publish.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) Publish(_ context.Context, es ...event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, es...)
	return nil
}

// newFixture wires the handler as the app does, over a real SQLite store,
// the real importer and the guarded fetcher, with a local HTTPS server
// standing in for the sheet host.
func newFixture(t *testing.T, confs ...conference.Conference) *fixture {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "pf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, c := range confs {
		if _, err := store.CreateConference(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{store: store, sheet: &sheet{status: http.StatusOK}, events: &recorder{}}
	f.server = fetchtest.NewServer(t, f.sheet)
	client := fetch.New(f.server.Options(t))
	f.handler = &resyncsheets.Handler{
		Conferences: store,
		Fetch: func(ctx context.Context, url string) ([]byte, error) {
			res, err := client.Get(ctx, url)
			return res.Body, err
		},
		Import: &importer.Importer{Store: store, Events: f.events},
		Decode: pubsub.MessageData,
	}
	return f
}

func gamescom(t *testing.T, id, sync string) conference.Conference {
	t.Helper()
	c, err := conference.New(id, "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		t.Fatal(err)
	}
	c.SyncURL = sync
	return c
}

// scheduled is the CloudEvent a Cloud Scheduler job's message arrives as.
func scheduled(t *testing.T, payload string) cloudevent.Event {
	t.Helper()
	var d pubsub.MessagePublishedData
	d.Message.Data, d.Message.MessageID = []byte(payload), "m-1"
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	ce := cloudevent.New()
	ce.SetID("m-1")
	ce.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	ce.SetSource("//pubsub.googleapis.com/projects/demo-party/topics/partyfinder-sheet-sync")
	if err := ce.SetData("application/json", json.RawMessage(data)); err != nil {
		t.Fatal(err)
	}
	return ce
}

func realSheet(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realdata.Dir(t), "gamescom-2025", "sheet-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func byTitle(t *testing.T, s *sqlite.Store, conf string) map[string]party.Party {
	t.Helper()
	ps, err := s.PartiesOf(context.Background(), conf)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]party.Party{}
	for _, p := range ps {
		out[p.Title] = p
	}
	return out
}

// The scheduled message re-imports a real sheet from an HTTPS host; the
// sheet's later edits arrive with the next run: a party whose address
// changed is updated, a dropped one cancelled, an unchanged sheet writes
// nothing.
func TestScheduledResyncFollowsTheSheet(t *testing.T) {
	const url = "https://" + fetchtest.Host + "/pub.csv"
	f := newFixture(t, gamescom(t, "gamescom2025", url), gamescom(t, "devcom2025", ""))
	rows := realSheet(t)
	f.sheet.set(rows, http.StatusOK)
	lines := strings.Split(strings.TrimSpace(rows), "\n")

	if err := f.handler.Handle(context.Background(), scheduled(t, "")); err != nil {
		t.Fatal(err)
	}
	first := byTitle(t, f.store, "gamescom2025")
	if len(first) != len(lines)-1 {
		t.Fatalf("after the first run: %d parties, want one per data row (%d)", len(first), len(lines)-1)
	}
	for title, p := range first {
		if p.Source != resyncsheets.SheetSource || p.Status != party.Published {
			t.Errorf("%q: source %q, status %s; want %q, published", title, p.Source, p.Status, resyncsheets.SheetSource)
		}
	}
	if ps, _ := f.store.PartiesOf(context.Background(), "devcom2025"); len(ps) != 0 {
		t.Errorf("a conference without a sheet got %d parties", len(ps))
	}

	// The organizers drop the last row and move the first to another hall.
	header, firstRow, dropped := lines[0], lines[1], lines[len(lines)-1]
	cells := strings.Split(firstRow, ",")
	title, hall := cells[4], cells[len(cells)-1]
	cells[len(cells)-1] = hall + " (moved to Hall 11)"
	edited := append([]string{header, strings.Join(cells, ",")}, lines[2:len(lines)-1]...)
	f.sheet.set(strings.Join(edited, "\n")+"\n", http.StatusOK)
	if err := f.handler.Handle(context.Background(), scheduled(t, `{"conference":"gamescom2025"}`)); err != nil {
		t.Fatal(err)
	}
	second := byTitle(t, f.store, "gamescom2025")
	droppedTitle := strings.Split(dropped, ",")[4]
	if p := second[droppedTitle]; p.Status != party.Cancelled {
		t.Errorf("the dropped row's party %q is %s, want cancelled (never deleted)", droppedTitle, p.Status)
	}
	if moved := second[title]; moved.ID != first[title].ID || moved.Version != 2 || !strings.Contains(moved.Address+moved.Venue, "Hall 11") {
		t.Errorf("the moved row: %+v; want party %s at version 2 in Hall 11", moved, first[title].ID)
	}

	// Nothing changed: nothing written, no events.
	f.events.mu.Lock()
	before := len(f.events.events)
	f.events.mu.Unlock()
	if err := f.handler.Handle(context.Background(), scheduled(t, "{}")); err != nil {
		t.Fatal(err)
	}
	f.events.mu.Lock()
	after := len(f.events.events)
	f.events.mu.Unlock()
	if after != before {
		t.Errorf("an unchanged sheet published %d events", after-before)
	}
	if got := f.server.Dials(); len(got) == 0 {
		t.Error("the sheet server was never dialed")
	}

	// The trail says the system imported, with the counts.
	entries, _, err := f.store.AuditEntries(context.Background(), audit.Query{Actor: audit.SystemActor})
	if err != nil {
		t.Fatal(err)
	}
	imports := 0
	for _, e := range entries {
		if e.Action == audit.ImportApplied && e.Conference == "gamescom2025" {
			imports++
		}
	}
	if imports != 2 {
		t.Errorf("%d import entries in the audit trail, want 2 (the unchanged run writes none)", imports)
	}
}

// A failure a retry can fix is returned, so Pub/Sub redelivers; one that
// only an admin can fix is logged and acknowledged, and other
// conferences' sheets are synced all the same.
func TestResyncFailures(t *testing.T) {
	const url = "https://" + fetchtest.Host + "/pub.csv"
	tests := []struct {
		name      string
		confs     []conference.Conference
		body      string
		status    int
		retry     bool
		imported  string // a conference synced despite the failure
		payload   string
		wantParty int
	}{
		{"sheet host answers 503", []conference.Conference{gamescom(t, "gamescom2025", url)}, "", http.StatusServiceUnavailable, true, "", "", 0},
		{"private address", []conference.Conference{gamescom(t, "a-private", "https://10.0.0.7/pub.csv"), gamescom(t, "gamescom2025", url)},
			"Event Name,Date,Start Time\nOpening,2025-08-21,18:00\n", http.StatusOK, false, "gamescom2025", "", 1},
		{"unknown host", []conference.Conference{gamescom(t, "a-unknown", "https://nowhere.invalid/pub.csv"), gamescom(t, "gamescom2025", url)},
			"Event Name,Date,Start Time\nOpening,2025-08-21,18:00\n", http.StatusOK, true, "gamescom2025", "", 1},
		{"not a sheet", []conference.Conference{gamescom(t, "gamescom2025", url)}, "\x00\x01binary", http.StatusOK, false, "", "", 0},
		{"bad scheduler message", []conference.Conference{gamescom(t, "gamescom2025", url)},
			"Event Name,Date,Start Time\nOpening,2025-08-21,18:00\n", http.StatusOK, false, "", "not json", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.confs...)
			f.sheet.set(tc.body, tc.status)
			err := f.handler.Handle(context.Background(), scheduled(t, tc.payload))
			if (err != nil) != tc.retry {
				t.Errorf("Handle = %v; want a retry: %v", err, tc.retry)
			}
			if tc.imported != "" {
				if n := len(byTitle(t, f.store, tc.imported)); n != tc.wantParty {
					t.Errorf("%s has %d parties, want %d: one broken sheet must not stop the others", tc.imported, n, tc.wantParty)
				}
			}
			for _, d := range f.server.Dials() {
				if d != "127.0.0.1:443" {
					t.Errorf("dialed %s", d)
				}
			}
		})
	}
}
