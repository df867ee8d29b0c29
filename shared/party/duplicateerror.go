package party

import (
	"fmt"

	"github.com/partyfinder/partyfinder/shared/apperr"
)

// DuplicateError refuses a submission or edit that likely repeats parties
// of the conference (Duplicates); sending it again with force stores it
// anyway. Matches are the likely duplicates, closest first.
type DuplicateError struct{ Matches []Match }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("likely a duplicate of %d existing part%s: check them, or send it again with force", len(e.Matches), map[bool]string{true: "y", false: "ies"}[len(e.Matches) == 1])
}

// Unwrap makes it a Conflict.
func (e *DuplicateError) Unwrap() error {
	return &apperr.Error{Kind: apperr.Conflict, Message: e.Error()}
}
