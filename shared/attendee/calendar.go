package attendee

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// CalendarToken derives the secret token of a user's personal calendar
// link from a server secret, the user id, the time their data was last
// erased (zero if never) and the link's generation: 256 bits, shown to the
// user on request, never stored. Rotating the link raises the generation,
// and an erasure starts generations over under a new epoch, so a token
// once killed never comes back.
func CalendarToken(secret []byte, uid string, erasedAt time.Time, generation int64) string {
	epoch := int64(0)
	if !erasedAt.IsZero() {
		epoch = erasedAt.UnixNano()
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("partyfinder calendar\x00" + uid + "\x00" + strconv.FormatInt(epoch, 36) + "\x00" + strconv.FormatInt(generation, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// HashToken is what the store keeps of a calendar token, so a leaked
// database does not leak working calendar links.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ValidTokenShape reports whether s could be a calendar token at all, so
// that garbage is turned away without a store read.
func ValidTokenShape(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// CalendarLink is what is stored of a user's personal calendar link: its
// generation and the hash of its token. Generation 0 means none was issued.
type CalendarLink struct {
	UID        string
	Generation int64
	TokenHash  string
}

// Issue returns the token of the link, issuing the first generation when
// there is none and the next one when rotating (which kills the old URL).
// The hash is updated whenever it is not the token's, also when the stored
// one came from another server secret: the link shown must be the one that
// works.
func (l *CalendarLink) Issue(secret []byte, erasedAt time.Time, rotate bool) string {
	if l.Generation == 0 || rotate {
		l.Generation++
	}
	token := CalendarToken(secret, l.UID, erasedAt, l.Generation)
	l.TokenHash = HashToken(token)
	return token
}

// Validate checks the link before it is stored.
func (l CalendarLink) Validate() error { return ValidateToken(l.UID, l.Generation, l.TokenHash) }
