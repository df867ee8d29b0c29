package importer

import "github.com/partyfinder/partyfinder/shared/fold"

// rejectTakenIDs rejects accepted rows whose id another conference already
// holds, and every row after the first with the same id: one file cannot
// write one party twice.
func rejectTakenIDs(results []*rowResult, foreign map[string]string) {
	firstWithID := map[string]int{}
	for _, r := range results {
		if !r.accepted() {
			continue
		}
		if other, ok := foreign[r.id]; ok {
			r.fail(issuef("", "id", "%s already belongs to conference %s", r.id, other))
			continue
		}
		if n, ok := firstWithID[r.id]; ok {
			r.fail(issuef("", "", "duplicate of row %d (same id %s)", n, r.id))
			continue
		}
		firstWithID[r.id] = r.row.Num
	}
}

// warnLikelyDuplicates flags accepted rows with the title and day of an
// earlier one. Their ids differ (by time or place), so both are imported;
// only the later one carries the warning.
func warnLikelyDuplicates(results []*rowResult) {
	firstWithTitle := map[string]int{}
	for _, r := range results {
		if !r.accepted() {
			continue
		}
		k := fold.String(r.p.Title) + "\x00" + r.day
		if n, ok := firstWithTitle[k]; ok {
			r.warn(issuef(codeLikelyDup, "", "looks like a duplicate of row %d (same title and day, different time or place)", n))
		} else {
			firstWithTitle[k] = r.row.Num
		}
	}
}
