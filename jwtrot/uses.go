package jwtrot

import (
	"context"
	"fmt"

	"github.com/jwtrot/jwtrot/internal/jwtjson"
)

// UsesClaim is the name of the private claim that makes a token an N-use
// token (SPEC §5.4): its value, an integer in [1, [MaxUses]], caps how many
// times the token is accepted across every verifier that shares a
// [UseCounter]. A value of 1 makes a one-time token, for password-reset and
// one-time login links. The name is collision-resistant (RFC 7519 §4.3):
// it lies in a namespace the project controls.
//
// Sign such a token by putting the claim in the claims, for example
// jwt.MapClaims{"sub": "alice", jwtrot.UsesClaim: 1}, or a struct field
// tagged `json:"github.com/jwtrot/uses"`. The token needs a jti, which
// counts its uses; a re-signed token keeps it, so it shares the count.
const UsesClaim = "github.com/jwtrot/uses"

// MaxUses is the largest use cap a token may carry.
const MaxUses = 1_000_000

// A UseCounter consumes the uses of N-use tokens. ConsumeUse is called
// once per verification of a token carrying [UsesClaim], after everything
// else passed (signature, claims, revocation, the claims' own Validate
// method), with t.MaxUses set to the cap and t.ID to the jti. It must
// atomically count one use of t.ID and report whether the count is still
// within t.MaxUses; once it is not, every later call for t.ID reports
// false until t.Expires, when the count may be forgotten. An error refuses
// the token with [ErrRevocationCheck].
//
// [RevocationList] is one for a single process; a fleet needs a shared
// store (package github.com/jwtrot/jwtrot/extra/jwtrotredis is one on
// Redis). Package [github.com/jwtrot/jwtrot/jwtrot/revokertest] checks an
// implementation.
type UseCounter interface {
	ConsumeUse(ctx context.Context, t TokenInfo) (bool, error)
}

// WithUseCounter sets the counter of N-use tokens' uses. Without it, a
// [Revoker] given to [WithRevoker] that is also a UseCounter counts them;
// with neither, N-use tokens are refused with [ErrUsedUp] and Sign refuses
// to make them.
func WithUseCounter(u UseCounter) Option { return func(c *config) { c.uses = u } }

// counter returns the UseCounter the options give, for New.
func (a *pipeline) counter() UseCounter {
	if a.uses != nil {
		return a.uses
	}
	if u, ok := a.revoker.(UseCounter); ok {
		return u
	}
	return nil
}

// Refusal details of N-use tokens.
var (
	errNoCounter = refuse(ErrUsedUp, "no use counter is configured")
	errUsesNoJti = refuse(ErrMalformed, "an N-use token has no jti")
	errUsedUp    = refuse(ErrUsedUp, "every use has been consumed")
)

// consumeUse counts one use of an N-use token that passed every other
// check, the last step of verification (SPEC §6 step 8).
func (a *pipeline) consumeUse(ctx context.Context, info TokenInfo) error {
	if a.uses == nil {
		return errNoCounter
	}
	if info.ID == "" {
		return errUsesNoJti
	}
	ok, err := a.uses.ConsumeUse(ctx, info)
	if err != nil {
		return &CauseError{Reason: ErrRevocationCheck, Cause: err}
	}
	if !ok {
		return errUsedUp
	}
	return nil
}

// checkUses refuses to sign an N-use token that could never be verified:
// no jti, or no counter to count its uses.
func (a *Authority) checkUses(c *jwtjson.Claims) error {
	switch {
	case !c.HasUses:
		return nil
	case !c.HasJti && !a.ids:
		return fmt.Errorf("%w: an N-use token (%s) needs a jti: set one or enable WithRandomID", ErrSign, UsesClaim)
	case a.uses == nil:
		return fmt.Errorf("%w: an N-use token (%s) needs a UseCounter: see WithUseCounter", ErrSign, UsesClaim)
	}
	return nil
}
