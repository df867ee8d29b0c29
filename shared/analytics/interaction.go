package analytics

import (
	"strings"
	"unicode/utf8"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/event"
	"github.com/partyfinder/partyfinder/shared/party"
)

// Kind is what a client reports that someone did.
type Kind string

// The kinds of client interactions.
const (
	View        Kind = "party_view"
	Click       Kind = "party_click"
	Share       Kind = "share"
	CalendarAdd Kind = "calendar_add"
	Search      Kind = "search"
)

// TypeInteraction is the event type of client interactions; EventVersion
// their schema version.
const (
	TypeInteraction = "analytics.interaction"
	EventVersion    = 1
)

// MaxQuery bounds a reported search query.
const MaxQuery = 200

// Interaction is something a person did in the app, reported by the
// client: no store write per report, only counters. Its id is the
// client's, so a resent report counts once.
type Interaction struct {
	event.Meta
	Kind    Kind
	PartyID string // "" for a search
	Query   string // the search, for Search
}

// Validate checks an interaction before it is counted. Field names are
// relative to one reported event.
func (i Interaction) Validate() []apperr.FieldError {
	var fs []apperr.FieldError
	add := func(field, code, msg string) {
		fs = append(fs, apperr.FieldError{Field: field, Code: code, Message: msg})
	}
	if !ValidClientID(i.ID) {
		add("id", "format", "must be 8-64 letters, digits, '-' or '_'")
	}
	switch i.Kind {
	case View, Click, Share, CalendarAdd:
		if !party.ValidID(i.PartyID) {
			add("partyId", "format", "must be a party id")
		}
	case Search:
		if strings.TrimSpace(i.Query) == "" {
			add("query", "required", "is required for a search")
		} else if utf8.RuneCountInString(i.Query) > MaxQuery {
			add("query", "too_long", "must be at most 200 characters")
		}
	default:
		add("type", "enum", "must be party_view, party_click, share, calendar_add or search")
	}
	return fs
}

// ValidClientID reports whether s can be a client-made event id.
func ValidClientID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
