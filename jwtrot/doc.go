// Package jwtrot signs and verifies JWTs with HMAC keys that rotate every
// time window, with no coordination between the services that share them.
//
// Every instance holds the same root secret. The key of each window is
// derived from it (package [rotation]), so every instance computes the same
// key at the same time. A verifier accepts the current window and the
// previous one (and the next one within a small clock skew); a token that
// verifies only in the previous window is re-signed with the current key and
// handed back. A leaked window key is useless two windows later, and the
// root never signs anything.
//
// # Getting started
//
// Build a [rotation.Deriver] from the root, then an [Authority]:
//
//	root, err := rotation.RootFromFile("main", "/run/secrets/jwt-root")
//	d, err := rotation.NewDeriver([]*rotation.Root{root}, rotation.WithWindow(10*time.Minute))
//	a, err := jwtrot.New(d, jwtrot.WithTTL(time.Hour), jwtrot.WithIssuer("auth"), jwtrot.WithAudience("api"))
//
//	token, err := a.Sign(jwt.RegisteredClaims{Subject: "alice"})
//
//	var claims jwt.RegisteredClaims
//	res, err := a.Verify(ctx, token, &claims)
//	if res.Resigned != "" {
//		// send res.Resigned back to the client
//	}
//
// Claims are golang-jwt's types: [github.com/golang-jwt/jwt/v5.RegisteredClaims],
// [github.com/golang-jwt/jwt/v5.MapClaims], or your struct embedding
// RegisteredClaims. Decoding into *jwt.RegisteredClaims is the fast path.
//
// # Lifetimes: the window is the idle timeout, exp the absolute one
//
// Re-signing keeps the payload byte for byte (exp, iat and jti included);
// only the kid and the signature change. So a token lives until its exp, the
// absolute lifetime, but only while it is used at least once per window: a
// token left unused for a whole window names a retired key and is refused
// with [ErrWindowRetired]. The window length is the idle timeout. The server
// also caps a token's age from its iat ([WithMaxAge]), whatever its exp says.
//
// # What is accepted
//
// Verification follows RFC 8725. The algorithm comes from the Deriver, never
// from the token; the header may carry only alg, kid and typ (crit, jku, jwk,
// x5u, and everything else are refused); the kid alone picks the key, so one
// HMAC decides, and a kid outside the acceptable windows is refused before
// any key is derived. A token without kid is refused with [ErrUnknownKeyID]:
// jwtrot does not try keys in turn.
//
// The header jwtrot emits is fixed ([Header]), and a token's header is
// matched against the few acceptable ones without decoding it. A header
// spelled differently by another library (member order, white space,
// escapes) is read on a strict, slower path and accepted if it says the
// same. The claims are read strictly: exp and iat are required, as
// non-negative integers no later than year 9999; duplicate claim names, case
// variants of registered ones ("EXP"), invalid UTF-8 and wrongly typed
// registered claims are refused ([ErrMalformed]). On any error, no claims
// are returned.
//
// # Errors
//
// Each refusal wraps one sentinel (ErrExpired, ErrWindowRetired,
// ErrBadSignature, ...); test with errors.Is, and show clients [Reason],
// which never echoes the token. golang-jwt's sentinels are reused where they
// mean the same thing.
//
// # Revocation and metrics
//
// [WithRevoker] consults a [Revoker] after the signature and claims pass;
// [RevocationList] is an in-memory one with per-subject "not before" and
// per-jti entries that expire with the tokens they cover. [WithObserver]
// receives every [Outcome], never the token.
//
// SPEC.md in the repository specifies the derivation, the kid and the header
// byte by byte, for implementations in other languages.
package jwtrot
