// Package identity holds who a request comes from, as established by a
// verified token: the user's id and the roles the server granted them.
package identity

import (
	"context"
	"slices"
	"time"
)

// Role is a permission granted through custom claims, never through a request body.
type Role string

// The roles.
const (
	Admin     Role = "admin"
	Organizer Role = "organizer"
	Trusted   Role = "trusted" // an organizer whose parties go live without moderation
)

// Roles lists every role a token may grant, in the order they are listed.
var Roles = []Role{Admin, Organizer, Trusted}

// Identity is a verified caller.
type Identity struct {
	UID       string
	Anonymous bool // signed in without a provider; a full user all the same
	Email     string
	Roles     []Role
	IssuedAt  time.Time // when the token was issued; tokens from before an erasure are refused
}

// Has reports whether the caller holds the role.
func (i Identity) Has(r Role) bool { return slices.Contains(i.Roles, r) }

type ctxKey struct{}

// With returns a context carrying the identity.
func With(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the identity carried by ctx.
func From(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok && id.UID != ""
}
