package firestore

import (
	"strings"
	"time"

	"github.com/partyfinder/partyfinder/shared/apperr"
	"github.com/partyfinder/partyfinder/shared/attendee"
)

// checkStorable adds what Firestore cannot store to the domain's checks.
func checkStorable(d attendee.Decision) error {
	if d.Swipe != nil {
		if err := checkSwipe(*d.Swipe); err != nil {
			return err
		}
	}
	if d.Save != nil {
		return checkSave(*d.Save)
	}
	return nil
}

// validDocID reports whether id can name a Firestore document: not empty,
// no slash, not "." or "..", not of the reserved form __x__, and at most
// 1500 bytes.
func validDocID(id string) bool {
	return id != "" && len(id) <= 1500 && !strings.Contains(id, "/") && id != "." && id != ".." &&
		!(len(id) >= 4 && strings.HasPrefix(id, "__") && strings.HasSuffix(id, "__"))
}

func checkUID(uid string) error {
	if uid == "" {
		return apperr.Field("uid", "required", "is required")
	}
	if !validDocID(uid) {
		return apperr.Field("uid", "format", "cannot name a document")
	}
	return nil
}

// checkSwipe adds what Firestore cannot store to the domain's checks.
func checkSwipe(sw attendee.Swipe) error {
	return withStorable(sw.Validate(), sw.UID, sw.At)
}

// checkSave adds what Firestore cannot store to the domain's checks.
func checkSave(sv attendee.Save) error {
	return withStorable(sv.Validate(), sv.UID, sv.At)
}

// checkToken adds what Firestore cannot store to the domain's checks.
func checkToken(uid string, generation int64, hash string) error {
	err := attendee.ValidateToken(uid, generation, hash)
	if hash != "" && !validDocID(hash) {
		err = addField(err, apperr.FieldError{Field: "tokenHash", Code: "format", Message: "cannot name a document"})
	}
	return withStorable(err, uid, time.Time{})
}

// withStorable adds the problems of a uid that cannot name a document and
// a time past Firestore's range to err's field errors.
func withStorable(err error, uid string, at time.Time) error {
	if uid != "" {
		if uerr := checkUID(uid); uerr != nil {
			e, _ := apperr.As(uerr)
			for _, f := range e.Fields {
				err = addField(err, f)
			}
		}
	}
	if at.After(maxTimestamp) {
		err = addField(err, apperr.FieldError{Field: "at", Code: "range", Message: "must be before the year 10000"})
	}
	return err
}

func addField(err error, f apperr.FieldError) error {
	if e, ok := apperr.As(err); ok {
		return &apperr.Error{Kind: e.Kind, Message: e.Message, Fields: append(e.Fields, f)}
	}
	if err != nil {
		return err
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "invalid " + f.Field, Fields: []apperr.FieldError{f}}
}
