package blackbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/demo/realdata"
)

// start runs a server of the test's own, of the target's kind, on db
// (servers started on the same db share its store), with env added, and
// stops it when the test ends.
func start(t *testing.T, db string, env ...string) *server {
	t.Helper()
	s, err := startOn(t, db, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stopping the server: %v\n%s", err, s.output())
		}
	})
	return s
}

// TestRestartKeepsData stops the server and starts it again on the same
// file: the parties are still there, with the same ids and the same bytes,
// and the demo is not seeded twice.
func TestRestartKeepsData(t *testing.T) {
	db := filepath.Join(t.TempDir(), "restart.db")
	first := start(t, db)
	runner := first.fns == nil // the runner seeds an empty store; behind Hosting the test seeds it
	if runner && !strings.Contains(first.output(), "seeded the demo conference") {
		t.Errorf("a fresh store was not seeded; output:\n%s", first.output())
	}
	before, _ := everything(t, first)
	tagBefore := first.get(t, "/api/parties").Header.Get("ETag")
	daysBefore := first.get(t, "/api/party-days").Body
	if err := first.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, first.output())
	}
	if runner && !strings.Contains(first.output(), "stopped") {
		t.Errorf("the server did not shut down gracefully on SIGTERM; output:\n%s", first.output())
	}

	second := start(t, db)
	if runner && strings.Contains(second.output(), "seeded") {
		t.Errorf("the demo was seeded again into a store that has data; output:\n%s", second.output())
	}
	after, _ := everything(t, second)
	if !slices.Equal(ids(before), ids(after)) {
		t.Errorf("after a restart the parties are %v, were %v", ids(after), ids(before))
	}
	if tag := second.get(t, "/api/parties").Header.Get("ETag"); tag != tagBefore {
		t.Errorf("the same data has a new ETag after a restart (%s, was %s): every cached copy is invalidated", tag, tagBefore)
	}
	if days := second.get(t, "/api/party-days").Body; !bytes.Equal(days, daysBefore) {
		t.Errorf("party-days changed across a restart:\n%s\nwas\n%s", days, daysBefore)
	}
	confs := decode[struct {
		Data []conferenceJSON `json:"data"`
	}](t, second.get(t, "/api/conferences"))
	if len(confs.Data) != 1 || confs.Data[0].ID != demoConference {
		t.Errorf("conferences after a restart: %+v", confs.Data)
	}
}

// realExport is the organiser sheet of Gamescom 2025, kept read-only next
// to the repository.
func realExport(t *testing.T) string {
	t.Helper()
	return realdata.Path(t, "gamescom-2025/sheet-export-2025-08-06.json")
}

// importReport is the part of `partyfinder import --json` this test reads.
type importReport struct {
	Conference string `json:"conference"`
	Total      int    `json:"total"`
	Accepted   int    `json:"accepted"`
	Rejected   int    `json:"rejected"`
	Created    int    `json:"created"`
	Rows       []struct {
		Status string `json:"status"`
		ID     string `json:"id"`
	} `json:"rows"`
}

// TestImportRealGamescomData imports the real organiser sheet through the
// command, serves the result, and reads it back as the frontend would:
// every accepted row is a party, on a day of Gamescom week, and every
// response is valid against the contract.
func TestImportRealGamescomData(t *testing.T) {
	export := realExport(t)
	db := filepath.Join(t.TempDir(), "gamescom.db")
	args := []string{"--conference", "gamescom2025", "--name", "Gamescom 2025",
		"--city", "Cologne", "--tz", "Europe/Berlin", "--json"}
	geocodes := filepath.Join(filepath.Dir(export), "geocoded-2025-08-06.json")
	_, err := os.Stat(geocodes)
	withGeocodes := err == nil
	if withGeocodes {
		args = append(args, "--geocode", geocodes)
	}
	cmd := importCommand(t, db, append(args, export)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("partyfinder import: %v\nstderr:\n%s\nstdout:\n%.2000s", err, stderr.String(), stdout.String())
	}
	var rep importReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("import --json printed no JSON report: %v\n%.2000s", err, stdout.String())
	}
	if rep.Total != 65 || rep.Accepted+rep.Rejected != rep.Total || rep.Accepted == 0 {
		t.Errorf("report: %d rows, %d accepted, %d rejected; the export has 65 rows", rep.Total, rep.Accepted, rep.Rejected)
	}
	if rep.Created != rep.Accepted {
		t.Errorf("a fresh store: %d created for %d accepted", rep.Created, rep.Accepted)
	}
	accepted := map[string]bool{}
	for _, r := range rep.Rows {
		if r.Status != "rejected" {
			accepted[r.ID] = true
		}
	}

	s := start(t, db)
	confs := decode[struct {
		Data []conferenceJSON `json:"data"`
	}](t, s.get(t, "/api/conferences"))
	if len(confs.Data) != 1 || confs.Data[0].ID != "gamescom2025" {
		t.Fatalf("conferences %+v: want only gamescom2025 (no demo seed into a store with data)", confs.Data)
	}

	page := s.feed(t, "conference=gamescom2025&limit=500")
	withCancelled := s.feed(t, "conference=gamescom2025&limit=500&include=cancelled")
	cancelled := withCancelled.Meta.Total - page.Meta.Total
	if page.Meta.Total != rep.Accepted-cancelled || withCancelled.Meta.Total != rep.Accepted {
		t.Errorf("the feed has %d parties (%d with cancelled ones); the import accepted %d", page.Meta.Total, withCancelled.Meta.Total, rep.Accepted)
	}
	if page.Meta.HasMore || page.Meta.Conference != "gamescom2025" || page.Meta.Timezone != "Europe/Berlin" {
		t.Errorf("feed meta %+v", page.Meta)
	}
	all := withCancelled.parties(t)
	for _, p := range all {
		if !accepted[p.ID] {
			t.Errorf("party %s %q is served but the report did not accept it", p.ID, p.Title)
		}
		if p.Date < "2025-08-16" || p.Date > "2025-08-24" {
			t.Errorf("party %s %q on %s, outside Gamescom week 2025-08-16..2025-08-24", p.ID, p.Title, p.Date)
		}
	}

	// With the organisers' geocoding, "near" finds real parties around
	// Koelnmesse, each within the radius.
	if withGeocodes {
		near := s.feed(t, "conference=gamescom2025&limit=500&near=50.9466,6.9839&radius=3").parties(t)
		located := 0
		for _, p := range all {
			if p.Lat != nil {
				located++
			}
		}
		if located < 50 || len(near) == 0 {
			t.Errorf("%d of %d real parties have coordinates, %d are within 3 km of Koelnmesse", located, len(all), len(near))
		}
		for _, p := range near {
			if p.Lat == nil || distanceKm(50.9466, 6.9839, *p.Lat, *p.Lng) > 3 {
				t.Errorf("party %s %q is not within 3 km of Koelnmesse", p.ID, p.Title)
			}
		}
	}

	// The day picker agrees with the feed on real data too.
	days := decode[daysPage](t, s.get(t, "/api/party-days?conference=gamescom2025"))
	sum := 0
	for _, d := range days.Data {
		if f := s.feed(t, "conference=gamescom2025&limit=500&date="+d.Date); f.Meta.Total != d.Count {
			t.Errorf("day %s: party-days says %d, the feed %d", d.Date, d.Count, f.Meta.Total)
		}
		sum += d.Count
	}
	if sum != page.Meta.Total {
		t.Errorf("days add up to %d, the feed has %d", sum, page.Meta.Total)
	}

	// Walk the cursor, and fetch each party and its calendar file: real,
	// dirty data through every response shape of the contract.
	var walked []string
	cursor := ""
	for i := 0; i < 100; i++ {
		q := "conference=gamescom2025&limit=20&include=cancelled"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		p := s.feed(t, q)
		walked = append(walked, ids(p.parties(t))...)
		if p.Meta.NextCursor == nil {
			break
		}
		cursor = *p.Meta.NextCursor
	}
	if !slices.Equal(walked, ids(all)) {
		t.Errorf("the cursor walk gave %d parties, one page %d", len(walked), len(all))
	}
	for _, p := range all {
		r := s.get(t, "/api/parties/"+p.ID)
		wantStatus(t, r, http.StatusOK, "party "+p.ID)
		ics := s.get(t, "/api/parties/"+p.ID+"/calendar.ics")
		wantStatus(t, ics, http.StatusOK, "calendar of "+p.ID)
		checkICS(t, ics, p.ID+".ics")
	}
	cal := s.get(t, "/api/conferences/gamescom2025/calendar.ics")
	wantStatus(t, cal, http.StatusOK, "conference calendar")
	if n := strings.Count(checkICS(t, cal, "gamescom2025.ics"), "BEGIN:VEVENT\r\n"); n != len(all) {
		t.Errorf("the conference calendar has %d events, the feed %d parties", n, len(all))
	}
	detail := decode[struct {
		Data conferenceJSON `json:"data"`
	}](t, s.get(t, "/api/conferences/gamescom2025"))
	if detail.Data.PartyCount == nil || *detail.Data.PartyCount != page.Meta.Total {
		t.Errorf("partyCount %v, the feed has %d", detail.Data.PartyCount, page.Meta.Total)
	}
	if detail.Data.FirstDay < "2025-08-16" || detail.Data.LastDay > "2025-08-24" || detail.Data.Name != "Gamescom 2025" {
		t.Errorf("conference %+v", detail.Data)
	}
}

func TestImportRejectsMissingFile(t *testing.T) {
	cmd := exec.Command(binary, "import", "--db", filepath.Join(t.TempDir(), "x.db"), "--conference", "gamescom2025", "no-such-file.json")
	cmd.Dir = repoRoot
	cmd.Env = serverEnv()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "no-such-file.json") {
		t.Errorf("import of a missing file: err %v, output %q; want a non-zero exit naming the file", err, out)
	}
}
