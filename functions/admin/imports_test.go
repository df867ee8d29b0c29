package admin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/httpapi/httpapitest"
)

// importReport is what these tests read of an import's report.
type importReport struct {
	Conference string `json:"conference"`
	Total      int    `json:"total"`
	Accepted   int    `json:"accepted"`
	Rejected   int    `json:"rejected"`
	Created    int    `json:"created"`
	Unchanged  int    `json:"unchanged"`
	DryRun     bool   `json:"dryRun"`
	Rows       []struct {
		Row    int      `json:"row"`
		Status string   `json:"status"`
		Action string   `json:"action"`
		Title  string   `json:"title"`
		Errors []string `json:"errors"`
	} `json:"rows"`
}

// sheet is a CSV of three rows for the demo week: two parties and, as
// data row 2, one without a date.
func sheet(e *env) string {
	d := e.seeded.Conference.FirstDay
	return "Event Name,Date,Start Time,Address\n" +
		"Imported Opening Night," + d + ",19:00,Somewhere 1\n" +
		"No Date Party,,20:00,Somewhere 2\n" +
		"Imported Late Show," + d + ",22:30,Somewhere 3\n"
}

// rowsJSON is the same import as JSON rows.
func rowsJSON(e *env) string {
	d := e.seeded.Conference.FirstDay
	return `[{"title":"Imported Opening Night","date":"` + d + `","time":"19:00","address":"Somewhere 1"},
		{"title":"No Date Party","time":"20:00","address":"Somewhere 2"},
		{"title":"Imported Late Show","date":"` + d + `","time":"22:30","address":"Somewhere 3"}]`
}

func (e *env) partyCount() int {
	e.t.Helper()
	ps, err := e.seeded.Store.PartiesOf(context.Background(), e.seeded.Conference.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(ps)
}

// checkReport asserts the report of the three-row file: two accepted,
// data row 2 rejected with its reason.
func checkReport(t *testing.T, rep importReport, dryRun bool, conf string) {
	t.Helper()
	if rep.Conference != conf || rep.DryRun != dryRun || rep.Total != 3 || rep.Accepted != 2 || rep.Rejected != 1 || rep.Created != 2 {
		t.Errorf("report %+v, want 3 rows: 2 created, 1 rejected, dryRun %v", rep, dryRun)
	}
	if len(rep.Rows) != 3 {
		t.Fatalf("rows %+v, want one per input row", rep.Rows)
	}
	for i, r := range rep.Rows {
		if r.Row != i+1 {
			t.Errorf("row %d reported as row %d", i+1, r.Row)
		}
	}
	bad := rep.Rows[1]
	if bad.Status != "rejected" || len(bad.Errors) == 0 || !strings.Contains(strings.ToLower(strings.Join(bad.Errors, " ")), "date") {
		t.Errorf("row 2 %+v, want rejected for its missing date", bad)
	}
	if rep.Rows[0].Status == "rejected" || rep.Rows[0].Action != "created" || rep.Rows[0].Title != "Imported Opening Night" {
		t.Errorf("row 1 %+v, want created", rep.Rows[0])
	}
}

// A dry run answers the report an import would make and writes nothing;
// the same file imported for real writes the accepted rows, which the
// feed serves at once, and importing it again changes nothing. CSV and
// JSON files are read alike.
func TestImport(t *testing.T) {
	for _, format := range []struct {
		name, contentType string
		body              func(*env) string
	}{
		{"CSV", "text/csv; charset=utf-8", sheet},
		{"JSON", "application/json", rowsJSON},
	} {
		t.Run(format.name, func(t *testing.T) {
			e := newEnv(t, nil)
			conf := e.seeded.Conference.ID
			before := e.partyCount()
			target := "/api/admin/imports?conference=" + conf + "&source=sheet"

			var dry importReport
			httpapitest.Data(t, e.do("admin", http.MethodPost, target+"&dryRun=true", format.body(e), "Content-Type", format.contentType),
				http.StatusOK, "application/json", &dry, nil)
			checkReport(t, dry, true, conf)
			if n := e.partyCount(); n != before {
				t.Fatalf("a dry run wrote %d parties", n-before)
			}

			var real importReport
			httpapitest.Data(t, e.do("admin", http.MethodPost, target, format.body(e), "Content-Type", format.contentType),
				http.StatusOK, "application/json", &real, nil)
			checkReport(t, real, false, conf)
			if n := e.partyCount(); n != before+2 {
				t.Fatalf("the import stored %d parties, want 2", n-before)
			}
			snap, err := e.feed.ConferenceSnapshot(context.Background(), conf)
			if err != nil {
				t.Fatal(err)
			}
			titles := map[string]bool{}
			for _, p := range snap.Parties() {
				titles[p.Title] = true
			}
			if !titles["Imported Opening Night"] || !titles["Imported Late Show"] || titles["No Date Party"] {
				t.Errorf("the feed does not serve the imported parties alone")
			}

			var again importReport
			httpapitest.Data(t, e.do("admin", http.MethodPost, target, format.body(e), "Content-Type", format.contentType),
				http.StatusOK, "application/json", &again, nil)
			if again.Created != 0 || again.Unchanged != 2 || e.partyCount() != before+2 {
				t.Errorf("the second import %+v, want 2 unchanged and nothing written", again)
			}
		})
	}
}

// Requests that cannot be imported are refused naming what is wrong, and
// write nothing.
func TestImportRefused(t *testing.T) {
	e := newEnv(t, nil)
	conf := e.seeded.Conference.ID
	before := e.partyCount()
	tests := []struct {
		name, query, contentType, body string
		status                         int
		code, field                    string
	}{
		{"no conference", "", "text/csv", sheet(e), http.StatusBadRequest, "invalid", "conference"},
		{"unknown conference", "conference=nosuchcon", "text/csv", sheet(e), http.StatusBadRequest, "invalid", "conference"},
		{"dryRun not a flag", "conference=" + conf + "&dryRun=maybe", "text/csv", sheet(e), http.StatusBadRequest, "invalid", "dryRun"},
		{"source too long", "conference=" + conf + "&source=" + strings.Repeat("s", 65), "text/csv", sheet(e), http.StatusBadRequest, "invalid", "source"},
		{"unknown parameter", "conference=" + conf + "&force=true", "text/csv", sheet(e), http.StatusBadRequest, "invalid", "force"},
		{"empty body", "conference=" + conf, "text/csv", "  \n", http.StatusBadRequest, "invalid", "body"},
		{"unsupported type", "conference=" + conf, "application/xml", "<rows/>", http.StatusBadRequest, "invalid", "Content-Type"},
		{"JSON that holds no rows", "conference=" + conf, "application/json", `{"sheet":"gamescom"}`, http.StatusBadRequest, "invalid", "body"},
		{"url with other members", "conference=" + conf, "application/json", `{"url":"https://example.com/s.csv","dryRun":true}`, http.StatusBadRequest, "invalid", "body"},
		{"url but no fetcher", "conference=" + conf, "application/json", `{"url":"https://example.com/s.csv"}`, http.StatusServiceUnavailable, "unavailable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("admin", http.MethodPost, "/api/admin/imports?"+tt.query, tt.body, "Content-Type", tt.contentType)
			httpapitest.Problem(t, rec, tt.status, tt.code, tt.field)
		})
	}
	if n := e.partyCount(); n != before {
		t.Errorf("refused imports wrote %d parties", n-before)
	}
}

// A {"url"} body imports the sheet the fetcher downloads; a URL the
// fetcher refuses is reported on the url field, its reason kept, and
// nothing is written.
func TestImportFromURL(t *testing.T) {
	var csv string
	sheetServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		_, _ = w.Write([]byte(csv))
	}))
	defer sheetServer.Close()
	var asked []string
	fetch := func(ctx context.Context, url string) ([]byte, error) {
		asked = append(asked, url)
		if !strings.HasPrefix(url, "https://sheets.example.com/") {
			return nil, apperr.New(apperr.Invalid, "the address is not a public host")
		}
		// The sheet comes from a local server: no fetch leaves this machine.
		res, err := sheetServer.Client().Get(sheetServer.URL)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		return io.ReadAll(res.Body)
	}
	e := newEnv(t, fetch)
	csv = sheet(e)
	conf := e.seeded.Conference.ID
	before := e.partyCount()

	var rep importReport
	httpapitest.Data(t, e.do("admin", http.MethodPost, "/api/admin/imports?conference="+conf, `{"url":"https://sheets.example.com/gc.csv"}`),
		http.StatusOK, "application/json", &rep, nil)
	checkReport(t, rep, false, conf)
	if e.partyCount() != before+2 || len(asked) != 1 || asked[0] != "https://sheets.example.com/gc.csv" {
		t.Errorf("fetched %v, stored %d parties; want the sheet named and 2 parties", asked, e.partyCount()-before)
	}

	b := httpapitest.Problem(t, e.do("admin", http.MethodPost, "/api/admin/imports?conference="+conf, `{"url":"https://10.0.0.1/s.csv"}`),
		http.StatusBadRequest, "invalid", "url")
	if len(b.Errors) == 0 || !strings.Contains(b.Errors[0].Message, "not a public host") {
		t.Errorf("refused URL: %+v, want the fetcher's reason", b.Errors)
	}

	failing := newEnv(t, func(context.Context, string) ([]byte, error) { return nil, errors.New("connection reset") })
	b = httpapitest.Problem(t, failing.do("admin", http.MethodPost, "/api/admin/imports?conference="+conf, `{"url":"https://sheets.example.com/gc.csv"}`),
		http.StatusBadRequest, "invalid", "url")
	if !strings.Contains(b.Errors[0].Message, "connection reset") {
		t.Errorf("failed download: %+v, want its cause", b.Errors)
	}
	if failing.partyCount() != len(failing.seeded.Parties) {
		t.Errorf("a failed download wrote parties")
	}
}
