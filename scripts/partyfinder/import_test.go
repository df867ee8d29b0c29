package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/demo/realdata"
	"github.com/partyfinder/partyfinder/shared/importer"
	"github.com/partyfinder/partyfinder/shared/party"
	"github.com/partyfinder/partyfinder/shared/sqlite"
)

const sheetCSV = `Date,Start Time,End Time,Time,Event Name,Link,Focus,Hosts,Category,Price,Address
Wed Aug 20,18:00,23:00,18:00 - 23:00,Beam & Avalanche go Gamescom,https://lu.ma/9icyxru0,All,"Beam, Avalanche",Mixer,Free,"Rheinloft Cologne, Frankenwerft 35, 50667, Germany"
Wed Aug 20,21:00,23:59,21:00 - 23:59,Cigar Lovers,https://www.savoy.de/en/,,Bring Your Own,Exec Social,Free,"Turiner Strabe 9, cologne, germany"
Thu Aug 21,17:30,20:00,17:30 - 20:00,Coda Connect Cologne,lu.ma/wnit2,All,Coda,Mixer,Free if approved,(empty)
Thu Aug 21,,,,,,,,,,
`

// importCmd runs "partyfinder import" the way main does and returns its
// output and error.
func importCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"import"}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportCommandEndToEnd(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "partyfinder.db")
	sheet := writeFile(t, dir, "sheet.csv", sheetCSV)
	newConf := []string{"--db", db, "--conference", "gamescom2025", "--name", "Gamescom 2025", "--city", "Cologne", "--tz", "Europe/Berlin"}

	// A dry run reports and writes nothing, not even the database file.
	out, _, err := importCmd(t, append(newConf, "--dry-run", sheet)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "dry run, nothing written: 4 rows into gamescom2025: 3 accepted (2 with warnings), 1 rejected; 3 created") {
		t.Errorf("dry run output:\n%s", out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("dry run created the database: %v", err)
	}

	// The import creates the conference and the parties; the rejected row
	// is reported with its row and line numbers, and is not fatal.
	out, _, err = importCmd(t, append(newConf, sheet)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"imported 4 rows into gamescom2025: 3 accepted (2 with warnings), 1 rejected; 3 created, 0 updated, 0 unchanged, 0 cancelled",
		"conference gamescom2025 created",
		`row 2 (line 3) warning: "Cigar Lovers": end time: 23:59 read as midnight; address: read "Strabe" as "Straße"`,
		`row 3 (line 4) warning: "Coda Connect Cologne": address: placeholder "(empty)" treated as empty; link: added https:// to "lu.ma/wnit2"`,
		`row 4 (line 5) rejected: "(no title)": title: is required`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "row 1 ") {
		t.Errorf("a clean row is listed:\n%s", out)
	}

	// The same file again, flags after the file name, JSON report: nothing changes.
	out, _, err = importCmd(t, "--db", db, "--conference", "gamescom2025", sheet, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep importer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out)
	}
	if rep.Total != 4 || rep.Accepted != 3 || rep.Rejected != 1 || rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != 3 || rep.DryRun {
		t.Errorf("second import: %+v", rep)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"total", "accepted", "rejected", "created", "updated", "unchanged", "cancelled", "dryRun", "rows"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	row := raw["rows"].([]any)[3].(map[string]any)
	if row["row"] != 4.0 || row["status"] != "rejected" || len(row["errors"].([]any)) == 0 {
		t.Errorf("rejected row in JSON: %v", row)
	}

	// Drop a row and prune: its party is cancelled, not deleted.
	lines := strings.Split(sheetCSV, "\n")
	shorter := writeFile(t, dir, "shorter.csv", strings.Join(append(lines[:1], lines[2:]...), "\n"))
	out, _, err = importCmd(t, "--db", db, "--conference", "gamescom2025", "--prune", "--json", shorter)
	if err != nil {
		t.Fatal(err)
	}
	rep = importer.Report{}
	json.Unmarshal([]byte(out), &rep)
	if rep.Cancelled != 1 || len(rep.Pruned) != 1 || rep.Pruned[0].Title != "Beam & Avalanche go Gamescom" {
		t.Errorf("prune: cancelled %d, pruned %+v", rep.Cancelled, rep.Pruned)
	}
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ps, err := store.PartiesOf(context.Background(), "gamescom2025")
	if err != nil {
		t.Fatal(err)
	}
	cancelled := 0
	for _, p := range ps {
		if p.Status == party.Cancelled {
			cancelled++
		}
	}
	if len(ps) != 3 || cancelled != 1 {
		t.Errorf("stored %d parties, %d cancelled; want 3 and 1", len(ps), cancelled)
	}
}

func TestImportCommandFatalErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "store", "partyfinder.db")
	sheet := writeFile(t, dir, "sheet.csv", sheetCSV)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"--db", db, "--conference", "gc2025"}, "exactly one FILE"},
		{"two files", []string{"--db", db, "--conference", "gc2025", sheet, sheet}, "exactly one FILE"},
		{"no conference", []string{"--db", db, sheet}, "--conference is required"},
		{"unknown flag", []string{"--db", db, "--conference", "gc2025", "--bogus", sheet}, "bogus"},
		{"bad --from", []string{"--db", db, "--conference", "gc2025", "--from", "20.08.2025", sheet}, "--from"},
		{"bad --format", []string{"--db", db, "--conference", "gc2025", "--format", "xml", sheet}, "--format"},
		{"missing file", []string{"--db", db, "--conference", "gc2025", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"unreadable content", []string{"--db", db, "--conference", "gc2025", writeFile(t, dir, "bad.json", "[{")}, "JSON cannot be read"},
		{"data after the JSON", []string{"--db", db, "--conference", "gc2025", writeFile(t, dir, "two.json", "[] []")}, "more data after the JSON document"},
		{"new conference without --tz", []string{"--db", db, "--conference", "gc2025", "--name", "G", "--city", "Cologne", sheet}, "--tz is required"},
		{"new conference with a bad --tz", []string{"--db", db, "--conference", "gc2025", "--name", "G", "--city", "C", "--tz", "Cologne", sheet}, `--tz "Cologne" is not an IANA time zone`},
		{"bad conference id", []string{"--db", db, "--conference", "Gamescom 2025", sheet}, "--conference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := importCmd(t, tt.args...)
			if err == nil || !strings.Contains(err.Error()+stderr, tt.want) {
				t.Errorf("err = %v (stderr %q), want it to mention %q", err, stderr, tt.want)
			}
		})
	}
	// None of the failures left a database behind, nor its folder.
	if _, err := os.Stat(filepath.Dir(db)); !os.IsNotExist(err) {
		t.Errorf("failed imports left %s: %v", filepath.Dir(db), err)
	}
}

func TestImportCommandFailureKeepsAnExistingDatabase(t *testing.T) {
	// A failed import removes only what it created: an existing database
	// stays, with its data.
	dir := t.TempDir()
	db := filepath.Join(dir, "partyfinder.db")
	sheet := writeFile(t, dir, "sheet.csv", sheetCSV)
	if _, _, err := importCmd(t, "--db", db, "--conference", "gamescom2025", "--name", "Gamescom 2025", "--city", "Cologne", "--tz", "Europe/Berlin", sheet); err != nil {
		t.Fatal(err)
	}
	if _, _, err := importCmd(t, "--db", db, "--conference", "other2025", sheet); err == nil {
		t.Fatal("an import into an unknown conference without its details succeeded")
	}
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if ps, err := store.PartiesOf(context.Background(), "gamescom2025"); err != nil || len(ps) != 3 {
		t.Errorf("after a failed import the database holds %d parties (%v), want 3", len(ps), err)
	}
}

func TestImportCommandRealSheet(t *testing.T) {
	path := realdata.Path(t, "gamescom-2025/sheet-export-2025-08-06.json")
	db := filepath.Join(t.TempDir(), "partyfinder.db")
	out, _, err := importCmd(t, "--db", db, "--conference", "gamescom2025", "--name", "Gamescom 2025", "--city", "Cologne", "--tz", "Europe/Berlin", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	var rep importer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total != 65 || rep.Accepted+rep.Rejected != 65 || rep.Created != rep.Accepted {
		t.Errorf("real sheet: total %d accepted %d rejected %d created %d", rep.Total, rep.Accepted, rep.Rejected, rep.Created)
	}
}

func TestImportCommandRealSheetYear(t *testing.T) {
	// A new conference without a year in its id: the year comes from the
	// sheet's weekdays ("Wed Aug 20" is 2025), whatever year it is now.
	path := realdata.Path(t, "gamescom-2025/sheet-export-2025-08-06.json")
	db := filepath.Join(t.TempDir(), "partyfinder.db")
	out, _, err := importCmd(t, "--db", db, "--conference", "gamescom", "--name", "Gamescom", "--city", "Cologne", "--tz", "Europe/Berlin", "--dry-run", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	var rep importer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "read as 2025") || !strings.Contains(notes, "2025-08-17 to 2025-08-23") || rep.WarningKinds["weekday-mismatch"] != 0 {
		t.Errorf("notes %q, warnings %v: want 2025 and no weekday warnings", notes, rep.WarningKinds)
	}
}

func TestImportCommandDryRunFailsLikeTheImport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "partyfinder.db")
	sheet := writeFile(t, dir, "sheet.csv", "Event Name,Date,Start Time\nParty,2025-08-20,18:00\n")
	// A new conference whose days are the wrong way round.
	args := []string{"--db", db, "--conference", "gamescom2025", "--name", "Gamescom 2025", "--city", "Cologne", "--tz", "Europe/Berlin",
		"--from", "2025-08-24", "--to", "2025-08-20", sheet}

	out, _, dryErr := importCmd(t, append(args, "--dry-run")...)
	_, _, err := importCmd(t, args...)
	if err == nil {
		t.Fatal("import of a conference ending before it starts succeeded")
	}
	if dryErr == nil || dryErr.Error() != err.Error() {
		t.Errorf("dry run err = %v (output %q), want the import's %v", dryErr, out, err)
	}
	// The failed import left no database behind, not even its folder.
	if _, err := os.Stat(filepath.Dir(db)); !os.IsNotExist(err) {
		t.Errorf("the failed import left %s: %v", filepath.Dir(db), err)
	}
}

func TestImportCommandDryRunChecksTheConfiguration(t *testing.T) {
	// The import reads the configuration to tell the servers; a dry run
	// reads and checks it too, so it fails where the import would.
	dir := t.TempDir()
	sheet := writeFile(t, dir, "sheet.csv", sheetCSV)
	t.Setenv("PARTYFINDER_FEED_REFRESH", "soon")
	args := []string{"--db", filepath.Join(dir, "partyfinder.db"), "--conference", "gamescom2025", "--name", "Gamescom 2025", "--city", "Cologne", "--tz", "Europe/Berlin", sheet}
	_, _, dryErr := importCmd(t, append(args, "--dry-run")...)
	_, _, err := importCmd(t, args...)
	if err == nil || dryErr == nil || dryErr.Error() != err.Error() {
		t.Errorf("dry run err = %v, import err = %v: want the same error", dryErr, err)
	}
}

func TestWithFlagNames(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a conference field is named by its flag", apperr.Field("timeZone", "format", `"Cologne" is not an IANA time zone`), `invalid flags: --tz "Cologne" is not an IANA time zone`},
		{"a party field stays as it is", fmt.Errorf("save parties: party p1: %w", apperr.Field("start", "range", "must be between the years 1678 and 2262")), "save parties: party p1: invalid start"},
		{"an error without fields stays as it is", apperr.New(apperr.Invalid, "split the file"), "split the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withFlagNames(tt.err).Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("withFlagNames(%q) = %q, want it to start with %q", tt.err, got, tt.want)
			}
		})
	}
}
