package jwtrot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// A Verifier verifies the EdDSA tokens of an [Authority] with public keys
// only: it holds no root and no private key, so a compromised service that
// only verifies cannot mint a token. Its checks are the Authority's own, in
// the same code path (SPEC §6), with the keys of a [KeySource] such as a
// JWKS document or a JWKS URL (package github.com/jwtrot/jwtrot/jwks).
//
// A Verifier cannot re-sign: a token of the previous window is accepted
// with Result.Position [rotation.Previous] and no re-signed token; the
// issuer's refresh handler (package httpauth) re-signs it.
//
// A Verifier is safe for concurrent use.
type Verifier struct {
	*pipeline
}

// NewVerifier returns a Verifier over the public keys of src. It refuses a
// source whose algorithm needs a secret to verify (HMAC: use [New] with the
// root) and the options that configure signing ([WithTTL],
// [WithRandomID]), and otherwise checks the options as [New] does.
func NewVerifier(src KeySource, opts ...Option) (*Verifier, error) {
	if src == nil {
		return nil, errors.New("jwtrot: nil KeySource")
	}
	if alg := src.Info().Algorithm; alg != rotation.EdDSA {
		return nil, fmt.Errorf("jwtrot: a Verifier checks EdDSA tokens with public keys; %v needs the root to verify: use jwtrot.New with a rotation.Deriver", alg)
	}
	p, err := newPipeline(src, opts)
	if err != nil {
		return nil, err
	}
	switch {
	case p.ttlSet:
		return nil, errors.New("jwtrot: WithTTL configures signing and a Verifier does not sign; set it on the issuer's Authority, and bound verified tokens with WithMaxAge")
	case p.idsSet:
		return nil, errors.New("jwtrot: WithRandomID configures signing and a Verifier does not sign; set it on the issuer's Authority")
	}
	return &Verifier{p}, nil
}

// Verify checks token as [Authority.Verify] does, with the same rules,
// reasons and claims types, except that a previous-window token is not
// re-signed (Result.Resigned is always "").
func (v *Verifier) Verify(ctx context.Context, token string, claims jwt.Claims) (Result, error) {
	return v.run(ctx, token, claims, trace{})
}

// Schedule returns the window schedule of the Verifier's keys, nil while
// its source has not reached its issuer (see [Verifier.Ready]).
func (v *Verifier) Schedule() *rotation.Schedule {
	if !v.Ready() {
		return nil
	}
	return v.pipeline.sched
}

// Ready reports whether the Verifier can verify tokens: its source has
// reached its issuer and what the issuer publishes agrees with the local
// options. Until then every token is refused with [ErrNotReady]. A Verifier
// over a source that is ready at construction is ready at once.
func (v *Verifier) Ready() bool { return v.pipeline.ready.Load() || v.pipeline.becomeReady() == nil }

// Source returns the KeySource the Verifier takes its keys from.
func (v *Verifier) Source() KeySource { return v.pipeline.src }

// String describes the Verifier by its public configuration.
func (v *Verifier) String() string {
	if !v.Ready() {
		return fmt.Sprintf("jwtrot.Verifier{alg: %v, purpose: %s, not ready}", v.pipeline.alg, v.pipeline.purpose)
	}
	return fmt.Sprintf("jwtrot.Verifier{alg: %v, purpose: %s, window: %v, skew: %v, maxAge: %v, issuer: %q, audience: %q}",
		v.pipeline.alg, v.pipeline.purpose, v.pipeline.sched.Length(), v.pipeline.sched.Skew(), v.pipeline.maxAge, v.pipeline.issuer, v.pipeline.aud)
}

// LogValue logs the Verifier's public configuration.
func (v *Verifier) LogValue() slog.Value {
	if !v.Ready() {
		return slog.GroupValue(slog.String("alg", v.pipeline.alg.String()), slog.String("purpose", v.pipeline.purpose), slog.Bool("ready", false))
	}
	return slog.GroupValue(slog.String("alg", v.pipeline.alg.String()), slog.String("purpose", v.pipeline.purpose),
		slog.Duration("window", v.pipeline.sched.Length()), slog.Duration("max_age", v.pipeline.maxAge),
		slog.String("issuer", v.pipeline.issuer), slog.String("audience", v.pipeline.aud))
}
