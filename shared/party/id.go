package party

import (
	"crypto/sha256"
	"encoding/hex"
)

// ImportID returns the deterministic id of a party imported from a source
// row: the same conference, source and row key always give the same id, so
// re-importing a file updates parties instead of duplicating them.
func ImportID(conferenceID, source, rowKey string) string {
	h := sha256.Sum256([]byte(conferenceID + "\x00" + source + "\x00" + rowKey))
	return conferenceID + "-" + hex.EncodeToString(h[:8])
}
