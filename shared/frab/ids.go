package frab

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// uuid is an RFC 9562 UUID.
type uuid [16]byte

// namespaceURL is RFC 9562's name space for URLs.
var namespaceURL = uuid{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// partyNamespace is the name space of every event guid: the UUIDv5 of this
// URL in the URL name space. It never changes: every guid depends on it.
var partyNamespace = uuidV5(namespaceURL, "https://github.com/partyfinder/partyfinder/frab/party")

// roomNamespace is the name space of room guids.
var roomNamespace = uuidV5(namespaceURL, "https://github.com/partyfinder/partyfinder/frab/room")

// uuidV5 returns the name-based (SHA-1) UUID of name in the name space ns.
func uuidV5(ns uuid, name string) uuid {
	var buf [16 + 192]byte
	in := append(append(buf[:0], ns[:]...), name...)
	sum := sha1.Sum(in)
	var u uuid
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u
}

// text returns u in its 36-character form.
func (u uuid) text() [36]byte {
	var t [36]byte
	hex.Encode(t[0:8], u[0:4])
	t[8] = '-'
	hex.Encode(t[9:13], u[4:6])
	t[13] = '-'
	hex.Encode(t[14:18], u[6:8])
	t[18] = '-'
	hex.Encode(t[19:23], u[8:10])
	t[23] = '-'
	hex.Encode(t[24:], u[10:])
	return t
}

// EventGUID returns the guid of the party with the id: the UUIDv5 of the id
// in a fixed name space, the same in every export, on every instance.
func EventGUID(partyID string) string {
	t := uuidV5(partyNamespace, partyID).text()
	return string(t[:])
}

// EventID returns the event id the party with the id gets unless it
// collides with another party's in the same document: the guid's first 31
// bits, so it fits the signed 32-bit integers that apps such as ConfClerk
// keep ids in, and is never 0 (frab ids are positive).
//
// Two of 500 parties collide with a chance of about 6 in 100,000. New
// resolves a collision deterministically: parties are taken in order of
// their ids, the first keeps its number and the later one moves on to its
// next candidate, so only the later party's id differs, and only in
// documents holding both.
func EventID(partyID string) uint32 {
	g := uuidV5(partyNamespace, partyID)
	for k := 0; ; k++ {
		if v := candidateID(g, partyID, k); v != 0 {
			return v
		}
	}
}

// candidateID returns the k-th candidate id (possibly 0, which is never
// used) of a party whose guid is g: the guid's first 31 bits for k = 0, then
// those of the UUIDv5 of id + "#k".
func candidateID(g uuid, partyID string, k int) uint32 {
	if k > 0 {
		g = uuidV5(partyNamespace, partyID+"#"+strconv.Itoa(k))
	}
	return binary.BigEndian.Uint32(g[:4]) & 0x7fffffff
}
