package attendee

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
)

// CalendarToken derives the secret token of a user's personal calendar
// link from a server secret, the user id and the link's generation: 256
// bits, shown to the user on request, never stored. Rotating the link
// raises the generation, which yields an unrelated token.
func CalendarToken(secret []byte, uid string, generation int64) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("partyfinder calendar\x00" + uid + "\x00" + strconv.FormatInt(generation, 10)))
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
