package jwtrot

import (
	"encoding/binary"
	"time"

	"github.com/jwtrot/jwtrot/internal/jwtjson"
)

// A LossPolicy says what a [Revoker] does with a token issued before its
// store may have lost revocations (SPEC §12.3): a restart without
// persistence, a flush, a failover to a replica that lacked writes, an
// eviction. Every such token may be covered by a revocation the store
// forgot.
type LossPolicy int

const (
	// RefuseAfterLoss, the default, refuses every token issued before the
	// loss with [ErrRevocationsLost] until it could no longer be valid
	// (the loss instant plus the maximum age). Tokens issued after the
	// loss are accepted at once: users log in again.
	RefuseAfterLoss LossPolicy = iota
	// AcceptAfterLoss accepts them (a revoked token among them is accepted
	// again) and only reports the loss: a log line, an observer event, a
	// metric. Choose it where a fleet-wide log-out costs more than a
	// revoked token living on.
	AcceptAfterLoss
)

// String returns "refuse" or "accept", the policy's metric label.
func (p LossPolicy) String() string {
	switch p {
	case RefuseAfterLoss:
		return "refuse"
	case AcceptAfterLoss:
		return "accept"
	}
	return "invalid"
}

// Valid reports whether p is one of the defined policies, for a Revoker's
// constructor to refuse any other.
func (p LossPolicy) Valid() bool { return p == RefuseAfterLoss || p == AcceptAfterLoss }

// A RevocationLoss is the event a [Revoker] reports when it finds that its
// store may have lost revocations. Give it to an observer such as
// package github.com/jwtrot/jwtrot/extra/jwtrotprom's. Every field is of low
// cardinality or an instant; none is a secret.
type RevocationLoss struct {
	// Store names the kind of store: "memory", "redis".
	Store string
	// Cause is what was detected, a short fixed word: "reset" (a
	// RevocationList's Forget), "marker_missing" (the store's epoch marker
	// is gone: a restart without persistence, a flush, an eviction),
	// "marker_changed" (another instance recorded a loss), "failover" (a
	// primary was replaced by a replica that may lack writes), "eviction"
	// (the server evicted keys).
	Cause string
	// At is the loss instant: tokens issued before it may be covered by
	// a forgotten revocation.
	At time.Time
	// Until is At plus the maximum age: after it, no token issued before
	// At is valid any more and the loss no longer matters. It is the zero
	// Time while the store does not know the maximum age ([MaxAgeSetter]):
	// the loss matters for ever.
	Until time.Time
	// Policy is what the Revoker does with those tokens meanwhile.
	Policy LossPolicy
}

// issuedAt returns a token's issue instant (SPEC §12.1): iat, with the
// sub-second part that a time-ordered jti carries when that jti is one
// jwtrot writes (22 base64url characters: the Unix nanoseconds of signing,
// big-endian, then 64 random bits) and falls within iat's second; else
// iat's whole second, the earliest instant the token may have been issued.
func issuedAt(p []byte, c *jwtjson.Claims) time.Time {
	if c.HasJti && !c.Jti.Escaped && c.Jti.End-c.Jti.Start == 22 {
		var id [16]byte
		if n, err := rawURL.Decode(id[:], p[c.Jti.Start:c.Jti.End]); err == nil && n == 16 {
			ns := int64(binary.BigEndian.Uint64(id[:8]))
			if ns >= 0 && ns/1e9 == c.Iat {
				return time.Unix(c.Iat, ns%1e9)
			}
		}
	}
	return time.Unix(c.Iat, 0)
}

// errLost refuses a token that a lost revocation may cover.
var errLost = refuse(ErrRevocationsLost, "the token was issued before the revocation store may have lost revocations")
