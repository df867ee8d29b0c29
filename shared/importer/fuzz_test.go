package importer_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/importer"
)

// Whatever a file holds, parsing and planning it never panic, and every
// row it yields ends up in the report, accepted or rejected.
func FuzzParseAndPrepare(f *testing.F) {
	for _, seed := range []string{
		"Event Name,Date,Start Time\nOpening,Wed Aug 20,19:00\n",
		"Event Name;Date;Start Time;End Time\n\"A; B\";2025-08-21;7pm;1am\n",
		`[{"title":"Export","start":"2025-08-20T18:00:00+02:00","status":"published"}]`,
		`{"data":[{"title":"x","start":"2025-08-20T18:00:00Z"}]} trailing`,
		"\xef\xbb\xbfEvent Name,Date\nK\xc3\x83\xc2\xb6ln,20.08.\n",
		"Event Name,Date,Start Time\n\x1b]8;;http://x\x07link,2025-08-20,25:99\n",
	} {
		f.Add([]byte(seed))
	}
	conf, err := conference.New("gamescom2025", "Gamescom 2025", "Köln", "Europe/Berlin", "2025-08-20", "2025-08-24")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2025, 8, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := importer.Parse(bytes.NewReader(data), importer.Auto)
		if err != nil {
			return // refused as a whole, with a reason
		}
		plan, err := importer.Prepare(conf, false, nil, in, importer.Options{}, now)
		if err != nil {
			return
		}
		if got := len(plan.Report.Rows); got != len(in.Rows) {
			t.Fatalf("%d rows in, %d reported", len(in.Rows), got)
		}
		if plan.Report.Accepted+plan.Report.Rejected != plan.Report.Total {
			t.Fatalf("accepted %d + rejected %d != total %d", plan.Report.Accepted, plan.Report.Rejected, plan.Report.Total)
		}
	})
}
