// Package keyringview reads what a rotation.Keyring states beyond its
// Fleet: its serial, its reload interval, its roots and their schedule. A
// service needs none of it (its Deriver answers for the instant at hand:
// Issuer, Roots, Verifies, NextChange), so package rotation does not export
// it; this repository's own tools do: the demo's keyring commands, which
// edit and explain keyrings, and package jwks, which publishes every root a
// keyring lists.
package keyringview

import "time"

// A Root is one root of a keyring, without its secret.
type Root struct {
	ID string
	// Issues is the instant from which the root signs new tokens; zero for
	// a revoked root listed without one.
	Issues time.Time
	// Retires is the instant from which its tokens are refused; zero if it
	// does not retire.
	Retires time.Time
	// Revoked roots verify nothing and never issue.
	Revoked bool
	// Emergency marks a root an instance may issue with as soon as it reads
	// it (SPEC §11.3).
	Emergency bool
	// Ref names a root held outside the process; "" for a root whose secret
	// is in the keyring.
	Ref string
}

// A Keyring is what a keyring document states, by the rules of SPEC §11.2.
type Keyring interface {
	// Serial returns the keyring's edit counter (0 if it has none).
	Serial() int64
	// Reload returns how often every instance reads the keyring again.
	Reload() time.Duration
	// Roots returns the roots in the document's order.
	Roots() []Root
	// IssuerAt returns the id of the root that issues at t, false if none.
	IssuerAt(t time.Time) (string, bool)
	// VerifyingAt returns the ids of the roots that verify at t, the one
	// that issues first, then in the document's order.
	VerifyingAt(t time.Time) []string
	// NextChange returns the first instant after t at which IssuerAt or
	// VerifyingAt may answer differently, false if none does.
	NextChange(t time.Time) (time.Time, bool)
	// EarliestRetirement returns the earliest instant the root named id may
	// retire without refusing a token it issued before the maximum age
	// (its successor's issue instant plus reload, skew and maximum age),
	// false if no later root issues or the keyring states no maximum age.
	EarliestRetirement(id string) (time.Time, bool)
}

// Of returns the view of k, a *rotation.Keyring (nil if k is nil). Package
// rotation sets it when it is initialised, so it is set in any program that
// has a Keyring to pass.
var Of func(k any) Keyring
