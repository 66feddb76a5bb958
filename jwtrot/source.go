package jwtrot

import (
	"context"

	"github.com/jwtrot/jwtrot/rotation"
)

// A KeySource gives a verification pipeline the keys of its windows. The
// pipeline is one code path (SPEC §6, every check and every reason) whatever
// the source: an [Authority]'s [rotation.Deriver], which holds the roots, or
// the public keys a [Verifier] is built from (package
// github.com/jwtrot/jwtrot/jwks has a JWKS document and a JWKS URL client).
//
// The pipeline finds keys by root id and window and never by an untrusted
// key id: it parses the kid and refuses windows the schedule does not
// accept before asking a source anything. Implementations must be safe for
// concurrent use.
type KeySource interface {
	// Algorithm is the one algorithm accepted.
	Algorithm() rotation.Algorithm
	// Schedule is the window schedule the keys follow.
	Schedule() *rotation.Schedule
	// Purpose labels the keys for an observer ([Outcome.Purpose]).
	Purpose() string
	// Roots lists the ids of the roots whose keys the source holds, the
	// issuing root first. It may grow: a root added to a JWKS.
	Roots() []string
	// Key returns the key of a root's window if the source holds it, at
	// once: rotation.ErrKeyID for a root it does not know,
	// rotation.ErrKeyUnavailable for a window whose key it lacks.
	Key(rootID string, w rotation.Window) (rotation.VerifyingKey, error)
	// Fetch is Key for a token that names an acceptable window whose key
	// Key lacked: a source that can obtain keys (a JWKS URL) does so,
	// sharing one bounded request among every caller and limiting how
	// often it asks; others answer as Key does.
	Fetch(ctx context.Context, rootID string, w rotation.Window) (rotation.VerifyingKey, error)
	// Version changes whenever Key may answer differently than before.
	Version() int64
}

// deriverSource is the KeySource of an Authority: the Deriver's keys, which
// sign as well as verify.
type deriverSource struct{ d *rotation.Deriver }

func (s deriverSource) Algorithm() rotation.Algorithm { return s.d.Algorithm() }
func (s deriverSource) Schedule() *rotation.Schedule  { return s.d.Schedule() }
func (s deriverSource) Purpose() string               { return s.d.Purpose() }
func (s deriverSource) Roots() []string               { return s.d.Roots() }
func (s deriverSource) Version() int64                { return s.d.Version() }

// Key returns the root's key for w if the root verifies now: a keyring's
// root that has retired or is not yet verifying is not held.
func (s deriverSource) Key(rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	if !s.d.Verifies(rootID, s.d.Schedule().Now()) {
		return nil, rotation.ErrKeyID
	}
	k, err := s.d.KeyAt(rootID, w.Start())
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Fetch never waits: a root held in a module derives in the background
// (KeyAt wakes it) and a root in memory derives on the spot.
func (s deriverSource) Fetch(_ context.Context, rootID string, w rotation.Window) (rotation.VerifyingKey, error) {
	return s.Key(rootID, w)
}
