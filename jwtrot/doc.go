// Package jwtrot signs and verifies JWTs with keys (HMAC, or Ed25519 key
// pairs) that rotate every time window, with no coordination between the services that share them.
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
// A deployment that replaces roots keeps them in a keyring instead
// ([rotation.NewKeyringDeriver], SPEC §11): the Authority then signs with the
// root the keyring says issues now, refuses a root the keyring revoked or
// retired from that instant, and takes the maximum age and issuer from the
// keyring (a local [WithMaxAge] or [WithIssuer] must agree):
//
//	d, err := rotation.NewKeyringDeriver(rotation.KeyringFile("/run/secrets/jwt-keyring"))
//	defer d.Close()
//	a, err := jwtrot.New(d, jwtrot.WithAudience("api"))
//
// Claims are golang-jwt's types: [github.com/golang-jwt/jwt/v5.RegisteredClaims],
// [github.com/golang-jwt/jwt/v5.MapClaims], or your struct embedding
// RegisteredClaims. Decoding into *jwt.RegisteredClaims is the fast path.
//
// # Lifetimes: exp is absolute, the window bounds idleness
//
// Re-signing keeps the payload byte for byte (exp, iat and jti included);
// only the kid and the signature change. So a token lives until its exp, the
// absolute lifetime, but only while it keeps being used: a token signed (or
// last re-signed) in window i is accepted until window i+1 ends, and from
// window i+2 on it names a retired key and is refused with
// [ErrWindowRetired]. How long that is depends on where in window i it was
// signed: between one and two window lengths. With 10-minute windows, a
// token signed at 10:40:01 is still accepted at 10:59:59 (almost 20 minutes
// idle), one signed at 10:49:59 is refused at 11:00:00 (10 minutes and one
// second idle). A client that uses its token at least once per window
// length never loses it. The server also caps a token's age from its iat
// ([WithMaxAge]), whatever its exp says.
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
// Each refusal wraps exactly one reason (ErrExpired, ErrWindowRetired,
// ErrBadSignature, ...); test with errors.Is. Where golang-jwt has a
// sentinel for the same reason, errors.Is matches it too. Show clients
// [Reason], a fixed phrase, and label metrics with [Code], a stable machine
// name. No message contains a token, a claim value or a key: a claims type
// that a payload does not fit is reported by the JSON kind and the Go type
// alone, and an error from the claims' Validate method or a [Revoker] is
// kept out of the message, in a [*CauseError] for the application.
//
// Every claims value Verify cannot decode into (a typed nil pointer, a nil
// MapClaims, a struct passed by value) is refused with [ErrInvalidClaims]
// before any other work; a nil interface asks for no claims.
//
// # Reason codes
//
// [Code] gives each refusal a stable machine name, [Reason] a phrase for
// clients; [Codes] lists them. The table (also in SPEC.md §6.1):
//
//   - too_large: token too large
//   - malformed: malformed token
//   - unsupported_algorithm: unsupported algorithm
//   - unsupported_header: unsupported header parameter
//   - unknown_key_id: unknown key id
//   - window_retired: key window retired
//   - window_not_open: key window not open yet
//   - key_unavailable: signing key unavailable
//   - not_ready: key source not ready
//   - bad_signature: bad signature
//   - missing_claim: required claim missing
//   - expired: token expired
//   - not_yet_valid: token not valid yet
//   - issued_in_future: token issued in the future
//   - too_old: token too old
//   - wrong_issuer: wrong issuer
//   - wrong_audience: wrong audience
//   - revoked: token revoked
//   - revocation_check_failed: revocation check failed
//   - invalid_claims: invalid claims
//   - used_up: no more uses
//   - revocations_lost: revocations may have been lost
//
// # Revocation and metrics
//
// [WithRevoker] consults a [Revoker] after the signature and claims pass;
// [RevocationList] is an in-memory one with per-subject "not before" and
// per-jti entries that expire with the tokens they cover. A fleet shares
// one store instead: the module github.com/jwtrot/jwtrot/extra/jwtrotredis
// keeps revocations in Redis or Redis Cluster, answering "not revoked" from
// a local cache the server invalidates. Package revokertest checks any
// Revoker against the contract. A failing store refuses the token
// ([ErrRevocationCheck]): revocation fails closed.
//
// Logging a subject out is exact: the jti that Sign writes carries the
// signing instant to the nanosecond (SPEC §12.1), so RevokeSubject(ctx, s,
// time.Now()) refuses the token signed a moment before, in the same second,
// and accepts the one signed a moment after. A store that may have lost
// revocations (a restart without persistence, a flush, a failover to a
// stale replica) refuses the tokens issued before the loss with
// [ErrRevocationsLost] and accepts those issued after ([LossPolicy],
// [RevocationLoss], SPEC §12.3); [RevocationList.Forget] records such a
// loss for the in-memory list.
//
// An N-use token carries the claim [UsesClaim] (set it in the claims you
// sign; 1 makes a one-time token, for password resets and login links) and
// is accepted at most that many times across the fleet: each acceptance
// consumes a use through a [UseCounter] ([WithUseCounter], or a Revoker
// that is also one, as RevocationList and the Redis store are), as the very
// last check, and the next is refused with [ErrUsedUp].
//
// [WithObserver] receives every [Outcome], never the token.
//
// # Verifiers that hold no secret
//
// With an HMAC Deriver every Authority can sign. With
// rotation.WithAlgorithm(rotation.EdDSA) the Authority signs with an Ed25519
// key pair derived per window, and a service that only verifies holds a
// [Verifier]: [NewVerifier] over a [KeySource] of public keys, such as a
// JWKS document or URL (package github.com/jwtrot/jwtrot/jwks). It runs the
// Authority's checks, in the same code, with the same reasons; it cannot
// re-sign, so [Authority.Refresh] (behind httpauth.NewRefreshHandler) does
// it at the issuer.
//
// SPEC.md in the repository specifies the derivation, the kid and the header
// byte by byte, for implementations in other languages.
package jwtrot
