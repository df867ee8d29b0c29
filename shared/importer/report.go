package importer

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/partyfinder/partyfinder/shared/event"
)

// Row statuses in a report.
const (
	StatusAccepted = "accepted" // imported as given (white space aside)
	StatusWarning  = "warning"  // imported after repairs the warnings describe
	StatusRejected = "rejected" // not imported; the errors say why
)

// Actions taken for an accepted row.
const (
	ActionCreated     = "created"
	ActionUpdated     = "updated"
	ActionRepublished = "republished" // an update that brings a cancelled party back
	ActionUnchanged   = "unchanged"
)

// Report accounts for every row of an import: Total = Accepted + Rejected,
// and Accepted = Created + Updated + Unchanged. Cancelled counts parties that
// are not in the file and were cancelled by pruning.
type Report struct {
	Conference   string `json:"conference"`
	Total        int    `json:"total"`
	Accepted     int    `json:"accepted"` // includes rows with warnings
	WithWarnings int    `json:"withWarnings"`
	Rejected     int    `json:"rejected"`
	Created      int    `json:"created"`
	Updated      int    `json:"updated"`
	Unchanged    int    `json:"unchanged"`
	Cancelled    int    `json:"cancelled"`
	DryRun       bool   `json:"dryRun"`
	// ConferenceCreated is true when the import creates the conference.
	ConferenceCreated bool `json:"conferenceCreated"`
	// Notes are observations about the file or the conference as a whole.
	Notes []string `json:"notes"`
	// WarningKinds counts the warnings of all rows by kind, e.g. "placeholder": 11.
	WarningKinds map[string]int `json:"warningKinds"`
	Rows         []RowReport    `json:"rows"`
	// Pruned lists the parties cancelled because the file no longer has them.
	Pruned []PrunedParty `json:"pruned"`
	// Events are the domain events of the parties written and of the
	// import itself; empty for a dry run.
	Events []event.Event `json:"-"`
}

// RowReport is the outcome of one input row.
type RowReport struct {
	Row      int      `json:"row"`            // 1-based data row (see Row.Num)
	Line     int      `json:"line,omitempty"` // CSV line, header = line 1
	Status   string   `json:"status"`
	Action   string   `json:"action,omitempty"`
	ID       string   `json:"id,omitempty"`
	Title    string   `json:"title,omitempty"`
	Warnings []string `json:"warnings"`
	// Kinds names the kind of each warning, in the same order.
	Kinds  []string `json:"warningKinds"`
	Errors []string `json:"errors"`
}

// PrunedParty names a party cancelled by pruning.
type PrunedParty struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Date  string `json:"date"`
}

// WriteText writes the report for people: a summary line, then one line per
// row that was not imported cleanly, then the pruned parties.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	verb := "imported"
	if r.DryRun {
		verb = "dry run, nothing written:"
	}
	fmt.Fprintf(&b, "%s %d rows into %s: %d accepted (%d with warnings), %d rejected; %d created, %d updated, %d unchanged, %d cancelled\n",
		verb, r.Total, r.Conference, r.Accepted, r.WithWarnings, r.Rejected, r.Created, r.Updated, r.Unchanged, r.Cancelled)
	if r.ConferenceCreated {
		fmt.Fprintf(&b, "conference %s created\n", r.Conference)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, row := range r.Rows {
		if row.Status == StatusAccepted && row.Action != ActionRepublished {
			continue
		}
		where := fmt.Sprintf("row %d", row.Row)
		if row.Line > 0 {
			where += fmt.Sprintf(" (line %d)", row.Line)
		}
		title := row.Title
		if title == "" {
			title = "(no title)"
		}
		msgs := append(append([]string{}, row.Errors...), row.Warnings...)
		if row.Action == ActionRepublished {
			msgs = append(msgs, "republished: it was cancelled and is back in the file")
		}
		fmt.Fprintf(&b, "%s %s: %q: %s\n", where, row.Status, title, strings.Join(msgs, "; "))
	}
	for _, p := range r.Pruned {
		fmt.Fprintf(&b, "cancelled (not in the file): %s %q on %s\n", p.ID, p.Title, p.Date)
	}
	if len(r.WarningKinds) > 0 {
		kinds := make([]string, 0, len(r.WarningKinds))
		for k := range r.WarningKinds {
			kinds = append(kinds, k)
		}
		sort.Slice(kinds, func(i, j int) bool {
			if r.WarningKinds[kinds[i]] != r.WarningKinds[kinds[j]] {
				return r.WarningKinds[kinds[i]] > r.WarningKinds[kinds[j]]
			}
			return kinds[i] < kinds[j]
		})
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s %d", k, r.WarningKinds[k])
		}
		fmt.Fprintf(&b, "warnings by kind: %s\n", strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
