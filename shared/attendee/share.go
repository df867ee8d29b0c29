package attendee

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Limits of shared lists.
const (
	MaxShares        = 20  // links one attendee may hold at once
	MaxShareParties  = 500 // parties of a fixed list
	shareCodeBytes   = 16  // 128 random bits: not guessable, not enumerable
	ShareCodeLength  = 22  // shareCodeBytes in unpadded base64url
	maxShareTitleLen = 100
)

// Share is a read-only link to an attendee's saved parties: anyone with
// its code may read the list, no one may change it, and its owner may
// revoke it. Without PartyIDs it shows the owner's saves as they are when
// it is read (a live list); with them, just those parties.
type Share struct {
	Code      string
	UID       string
	Title     string   // optional, shown to whoever opens the link
	PartyIDs  []string // nil: the owner's current saves
	CreatedAt time.Time
}

// Live reports whether the share follows the owner's saves.
func (s Share) Live() bool { return s.PartyIDs == nil }

// NewShareCode returns a fresh random share code.
func NewShareCode() (string, error) {
	var b [shareCodeBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("share code: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ValidShareCode reports whether s has the shape of a share code, so a
// malformed one costs no lookup.
func ValidShareCode(s string) bool {
	if len(s) != ShareCodeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Validate checks a share before it is stored.
func (s Share) Validate() error {
	var fs []apperr.FieldError
	if s.UID == "" {
		fs = append(fs, apperr.FieldError{Field: "uid", Code: "required", Message: "is required"})
	}
	if !ValidShareCode(s.Code) {
		fs = append(fs, apperr.FieldError{Field: "code", Code: "format", Message: "is not a share code"})
	}
	switch {
	case utf8.RuneCountInString(s.Title) > maxShareTitleLen:
		fs = append(fs, apperr.FieldError{Field: "title", Code: "max", Message: fmt.Sprintf("must be at most %d characters", maxShareTitleLen)})
	case strings.IndexFunc(s.Title, unicode.IsControl) >= 0:
		fs = append(fs, apperr.FieldError{Field: "title", Code: "control", Message: "must not contain control characters"})
	}
	if s.PartyIDs != nil {
		if len(s.PartyIDs) == 0 || len(s.PartyIDs) > MaxShareParties {
			fs = append(fs, apperr.FieldError{Field: "partyIds", Code: "range", Message: fmt.Sprintf("must list 1 to %d parties", MaxShareParties)})
		}
		seen := map[string]bool{}
		for _, id := range s.PartyIDs {
			if !party.ValidID(id) || seen[id] {
				fs = append(fs, apperr.FieldError{Field: "partyIds", Code: "format", Message: fmt.Sprintf("%.80q is not a party id, or is listed twice", id)})
				break
			}
			seen[id] = true
		}
	}
	if s.CreatedAt.IsZero() {
		fs = append(fs, apperr.FieldError{Field: "createdAt", Code: "required", Message: "is required"})
	}
	return apperr.Fields("invalid share", fs)
}

// Shares stores shared lists.
type Shares interface {
	// CreateShare stores a new share. Invalid if it breaks an invariant,
	// Conflict if its code is taken.
	CreateShare(ctx context.Context, s Share) error
	// Share returns the share with this code, or NotFound.
	Share(ctx context.Context, code string) (Share, error)
	// SharesOf returns the user's shares, newest first.
	SharesOf(ctx context.Context, uid string) ([]Share, error)
	// DeleteShare revokes one of the user's shares; NotFound when the user
	// has no share with this code.
	DeleteShare(ctx context.Context, uid, code string) error
}
