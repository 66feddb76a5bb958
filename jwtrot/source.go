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
// accept before asking a source anything. A source that can obtain keys it
// lacks is also a [Fetcher]. Implementations must be safe for concurrent
// use.
type KeySource interface {
	// Info describes the keys the source holds. It changes only when
	// Version does.
	Info() SourceInfo
	// Key returns the key of a root's window if the source holds it, at
	// once: rotation.ErrKeyID for a root it does not know,
	// rotation.ErrKeyUnavailable for a window whose key it lacks.
	Key(rootID string, w rotation.Window) (rotation.VerifyingKey, error)
	// Version changes whenever Info or Key may answer differently than
	// before.
	Version() int64
}

// SourceInfo is what a [KeySource]'s keys are.
type SourceInfo struct {
	// Algorithm is the one algorithm accepted.
	Algorithm rotation.Algorithm
	// Purpose labels the keys for an observer ([Outcome] Purpose).
	Purpose string
	// Schedule is the window schedule the keys follow; nil while the
	// source has not reached its issuer (tokens are then refused with
	// [ErrNotReady]).
	Schedule *rotation.Schedule
	// Roots lists the ids of the roots whose keys the source holds, the
	// issuing root first. It may grow: a root added to a JWKS.
	Roots []string
	// Fleet, if not nil, holds the settings the issuer's fleet shares, as
	// it publishes them (SPEC §10): a [Verifier] takes the maximum age and
	// the issuer from it, and refuses to become ready when a local option
	// contradicts it.
	Fleet *rotation.Fleet
}

// A Fetcher is a [KeySource] that can obtain keys it does not hold yet (a
// JWKS URL). The pipeline calls Fetch for a token that names an acceptable
// window whose key Key lacked; it should share one bounded request among
// every caller and limit how often it asks.
type Fetcher interface {
	KeySource
	Fetch(ctx context.Context, rootID string, w rotation.Window) (rotation.VerifyingKey, error)
}

// deriverSource is the KeySource of an Authority: the Deriver's keys, which
// sign as well as verify. It never waits: a root held in a module derives
// in the background (KeyAt wakes it) and a root in memory derives on the
// spot.
type deriverSource struct{ d *rotation.Deriver }

func (s deriverSource) Info() SourceInfo {
	return SourceInfo{Algorithm: s.d.Algorithm(), Purpose: s.d.Purpose(), Schedule: s.d.Schedule(), Roots: s.d.Roots()}
}

func (s deriverSource) Version() int64 { return s.d.Version() }

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
