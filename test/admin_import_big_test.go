package blackbox_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// importLimit is the admin function's body limit (ImportMaxBody in
// app.go): Cloud Run's own limit for an HTTP/1 request.
const importLimit = 32 << 20

// weekOfSideEvents returns n side events as a JSON array of sheet rows
// and as CSV, leaving out the rows gone(i) names; each row has a
// description of a few hundred bytes, as real ones do.
func weekOfSideEvents(n int, gone func(int) bool) (jsonBody, csvBody string) {
	header := []string{"Event Name", "Date", "Start Time", "End Time", "Venue", "Address", "Description", "Hosts", "Price", "Link"}
	var rows []map[string]string
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	for i := range n {
		if gone != nil && gone(i) {
			continue
		}
		rec := []string{fmt.Sprintf("Side Event %d", i), fmt.Sprintf("2026-03-%d", 13+i%9), fmt.Sprintf("%02d:%02d", 10+i%11, i%4*15),
			fmt.Sprintf("%02d:%02d", 12+i%11, i%4*15), fmt.Sprintf("Venue %d", i%400), fmt.Sprintf("%d Congress Avenue, Austin", 100+i%900),
			strings.Repeat("Talks, demos and drinks with the people who build what is next. ", 4+i%3),
			"Northwind; Pixel Harbour", "Free", fmt.Sprintf("https://example.com/events/%d", i)}
		w.Write(rec)
		row := make(map[string]string, len(header))
		for j, h := range header {
			row[h] = rec[j]
		}
		rows = append(rows, row)
	}
	w.Flush()
	j, _ := json.Marshal(rows)
	return string(j), b.String()
}

// The largest week we plan for, 20,000 side events, fits one request and
// imports in one call, JSON or CSV; the next file lacks a twentieth of
// them and a prune cancels exactly those. On the targets that store in
// Firestore the week is 5,000 events: still written in several steps
// (an import of more than 2,000 parties is), at a quarter of the
// emulator's time.
func TestAdminImportsTwentyThousandRowsInOneRequest(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-big","roles":["admin"]}`)
	s.createConference(t, admin, `{"id":"bigweek","name":"Big Week","city":"Austin","timeZone":"America/Chicago","firstDay":"2026-03-13","lastDay":"2026-03-21"}`)
	n, minBytes := 20000, 10<<20
	if target != targetRunner {
		n, minBytes = 5000, 2<<20
	}
	gone := func(i int) bool { return i%20 == 11 }
	all, _ := weekOfSideEvents(n, nil)
	_, later := weekOfSideEvents(n, gone)
	if len(all) <= minBytes || len(all) > importLimit {
		t.Fatalf("the JSON file is %d bytes; the test wants one over %d MiB and within the limit", len(all), minBytes>>20)
	}

	rep := s.imported(t, admin, "conference=bigweek", "application/json", all)
	if rep.Total != n || rep.Created != n {
		t.Fatalf("JSON import of %d rows (%d bytes): %s", n, len(all), rep.counts())
	}
	rep = s.imported(t, admin, "conference=bigweek&prune=true", "text/csv", later)
	if want := n / 20; rep.Cancelled != want || rep.Unchanged != n-want || len(rep.Pruned) != want {
		t.Fatalf("CSV import with prune: %s, %d pruned; want %d cancelled, %d unchanged", rep.counts(), len(rep.Pruned), want, n-want)
	}
	for _, p := range rep.Pruned {
		var i int
		if _, err := fmt.Sscanf(p.Title, "Side Event %d", &i); err != nil || !gone(i) {
			t.Fatalf("pruned %q, which the file still lists", p.Title)
		}
	}
	// What is stored, as a dry run of the first file sees it: the pruned
	// ones come back, the rest is as it was.
	rep = s.imported(t, admin, "conference=bigweek&dryRun=true", "application/json", all)
	if rep.Updated != n/20 || rep.Unchanged != n-n/20 || rep.Created != 0 {
		t.Errorf("dry run of the first file after the prune: %s; want %d updated, %d unchanged", rep.counts(), n/20, n-n/20)
	}
}

// A file over the limit answers 413 with a problem that says what the
// limit is and what to do, whether the client sent its length or not.
func TestAdminImportRefusesAFileOverTheLimit(t *testing.T) {
	s := adminServer(t)
	admin := signIn(t, s, `{"uid":"admin-huge","roles":["admin"]}`)
	s.createConference(t, admin, `{"id":"hugecon","name":"Huge Con","city":"Köln","timeZone":"Europe/Berlin","firstDay":"2026-09-01","lastDay":"2026-09-03"}`)
	huge := []byte("Event Name,Date,Start Time\n" + strings.Repeat("A party,2026-09-01,18:00\n", importLimit/25+1))

	r := s.asRaw(t, admin, http.MethodPost, "/api/admin/imports?conference=hugecon", huge, "Content-Type", "text/csv")
	if p := checkProblem(t, r, http.StatusRequestEntityTooLarge, "payload_too_large", "an import over the limit, with its length"); !strings.Contains(p.Detail, fmt.Sprint(importLimit)) {
		t.Errorf("problem detail %q does not name the limit", p.Detail)
	}

	// Without a length (chunked), the limit stops the read part way.
	req, err := http.NewRequest(http.MethodPost, s.base+"/api/admin/imports?conference=hugecon", io.MultiReader(bytes.NewReader(huge)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+admin.Token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r = &result{Status: resp.StatusCode, Header: resp.Header, Raw: raw, Body: raw}
	if p := checkProblem(t, r, http.StatusRequestEntityTooLarge, "payload_too_large", "an import over the limit, chunked"); !strings.Contains(p.Detail, "32 MiB") || !strings.Contains(p.Detail, "command line") {
		t.Errorf("problem detail %q: want the 32 MiB limit and the command line named", p.Detail)
	}
	if n := len(s.everyParty(t, "hugecon")); n != 0 {
		t.Errorf("refused imports wrote %d parties", n)
	}
}
