package importer

import (
	"slices"
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/conference"
	"github.com/partyfinder/partyfinder/shared/party"
)

// prune cancels the published parties of the file's sources that no row
// names. Rows that were rejected still protect their party: a row that is
// broken today does not mean the party is gone.
func (plan *Plan) prune(results []*rowResult, existing []party.Party, conf conference.Conference, loc *time.Location, opts Options, now time.Time) {
	sources, inFile := fileSourcesAndIDs(results, opts)
	var gone []party.Party
	for _, old := range existing {
		if old.ConferenceID == conf.ID && sources[old.Source] && !inFile[old.ID] && old.Status == party.Published {
			gone = append(gone, old)
		}
	}
	// In the order every party list uses, whatever order the store gave.
	slices.SortFunc(gone, party.Chronological)
	for _, old := range gone {
		p := old
		p.Status = party.Cancelled
		p.Version, p.UpdatedAt = old.Version+1, now
		plan.Writes = append(plan.Writes, p)
		plan.Report.Cancelled++
		plan.Report.Pruned = append(plan.Report.Pruned, PrunedParty{ID: p.ID, Title: p.Title, Date: p.LocalDate(loc)})
	}
}

// fileSourcesAndIDs returns the sources the file speaks for (only the
// import's own source when one is set) and the ids its rows name, rejected
// rows included.
func fileSourcesAndIDs(results []*rowResult, opts Options) (sources, inFile map[string]bool) {
	sources = map[string]bool{}
	inFile = map[string]bool{}
	for _, r := range results {
		if r.id != "" {
			inFile[r.id] = true
		}
		if r.source != "" {
			sources[r.source] = true
		}
	}
	if opts.Source != "" {
		sources = map[string]bool{strings.TrimSpace(opts.Source): true}
	}
	return sources, inFile
}
