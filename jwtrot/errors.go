package jwtrot

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// The reasons a token is refused. Every error from [Authority.Verify] wraps
// exactly one of them; test with errors.Is. Where golang-jwt (or package
// rotation) has a sentinel for the same reason, errors.Is matches that one
// too, so code written against golang-jwt's errors keeps working. No message
// contains a token, a claim value or a key; [Reason] gives each a phrase to
// show a client and [Code] a stable machine name for metrics.
var (
	// ErrTooLarge: the token is longer than the size cap (WithMaxSize).
	ErrTooLarge = newReason("token too large", "too_large", nil)
	// ErrMalformed: not three strict base64url segments, invalid or
	// ambiguous JSON, or a registered claim of the wrong type or range.
	// errors.Is also matches jwt.ErrTokenMalformed.
	ErrMalformed = newReason("malformed token", "malformed", jwt.ErrTokenMalformed)
	// ErrUnsupportedAlgorithm: the header's alg is not the configured one.
	ErrUnsupportedAlgorithm = newReason("unsupported algorithm", "unsupported_algorithm", nil)
	// ErrUnsupportedHeader: a header parameter jwtrot refuses: crit, jku,
	// jwk, x5u, x5c, or any other beyond alg, kid and typ.
	ErrUnsupportedHeader = newReason("unsupported header parameter", "unsupported_header", nil)
	// ErrUnknownKeyID: no kid, or a kid that is not the canonical spelling
	// of a configured root and a window index. errors.Is also matches
	// rotation.ErrKeyID.
	ErrUnknownKeyID = newReason("unknown key id", "unknown_key_id", rotation.ErrKeyID)
	// ErrWindowRetired: the kid names a window older than the previous one:
	// the token went unused for too long (see the package guide). errors.Is
	// also matches rotation.ErrWindowRetired.
	ErrWindowRetired = newReason("key window retired", "window_retired", rotation.ErrWindowRetired)
	// ErrWindowNotOpen: the kid names a window later than the current one
	// that has not yet come within the allowed skew; the signer's clock is
	// ahead of this one by more than the skew. errors.Is also matches
	// rotation.ErrWindowNotOpen.
	ErrWindowNotOpen = newReason("key window not open yet", "window_not_open", rotation.ErrWindowNotOpen)
	// ErrBadSignature: the signature (an HMAC, or an Ed25519 signature)
	// does not verify under the kid's key.
	// errors.Is also matches jwt.ErrTokenSignatureInvalid.
	ErrBadSignature = newReason("bad signature", "bad_signature", jwt.ErrTokenSignatureInvalid)
	// ErrMissingClaim: exp or iat is absent, or iss or aud when configured.
	// errors.Is also matches jwt.ErrTokenRequiredClaimMissing.
	ErrMissingClaim = newReason("required claim missing", "missing_claim", jwt.ErrTokenRequiredClaimMissing)
	// ErrExpired: exp is not after now. errors.Is also matches
	// jwt.ErrTokenExpired.
	ErrExpired = newReason("token expired", "expired", jwt.ErrTokenExpired)
	// ErrNotYetValid: nbf is after now plus the skew. errors.Is also
	// matches jwt.ErrTokenNotValidYet.
	ErrNotYetValid = newReason("token not valid yet", "not_yet_valid", jwt.ErrTokenNotValidYet)
	// ErrIssuedInFuture: iat is after now plus the skew. errors.Is also
	// matches jwt.ErrTokenUsedBeforeIssued.
	ErrIssuedInFuture = newReason("token issued in the future", "issued_in_future", jwt.ErrTokenUsedBeforeIssued)
	// ErrTooOld: iat is further in the past than the maximum age.
	ErrTooOld = newReason("token too old", "too_old", nil)
	// ErrIssuer: iss is not the configured issuer. errors.Is also matches
	// jwt.ErrTokenInvalidIssuer.
	ErrIssuer = newReason("wrong issuer", "wrong_issuer", jwt.ErrTokenInvalidIssuer)
	// ErrAudience: aud does not name the configured audience. errors.Is
	// also matches jwt.ErrTokenInvalidAudience.
	ErrAudience = newReason("wrong audience", "wrong_audience", jwt.ErrTokenInvalidAudience)
	// ErrRevoked: the revocation checker says the token is revoked.
	ErrRevoked = newReason("token revoked", "revoked", nil)
	// ErrRevocationCheck: the revocation checker failed; the token is
	// refused, since it could not be shown not to be revoked. The checker's
	// own error is in a [*CauseError].
	ErrRevocationCheck = newReason("revocation check failed", "revocation_check_failed", nil)
	// ErrRevocationsLost: the revocation store may have lost revocations
	// (a restart without persistence, a flush, a failover to a replica that
	// lacked writes, an eviction), and the token was issued before that
	// loss, so a forgotten revocation may cover it. Tokens issued after the
	// loss are accepted; these are refused until they are too old (SPEC
	// §12.3). A Revoker reports it by returning an error that wraps it.
	ErrRevocationsLost = newReason("revocations may have been lost", "revocations_lost", nil)
	// ErrInvalidClaims: the claims do not decode into the caller's claims
	// type, the claims value is unusable (nil, not a pointer), or the
	// claims' own Validate method refused them (jwt.ClaimsValidator; its
	// error is in a [*CauseError]). errors.Is also matches
	// jwt.ErrTokenInvalidClaims.
	ErrInvalidClaims = newReason("invalid claims", "invalid_claims", jwt.ErrTokenInvalidClaims)
	// ErrKeyUnavailable: the key of the token's window could not be derived
	// (a root held in an external module that did not answer in time): a
	// server-side failure, not the token's. errors.Is also matches
	// rotation.ErrKeyUnavailable.
	ErrKeyUnavailable = newReason("signing key unavailable", "key_unavailable", rotation.ErrKeyUnavailable)
	// ErrUsedUp: the token carries a use cap (an N-use token, SPEC §5.4)
	// and every use has been consumed, or no [UseCounter] is configured to
	// count them. Checked last: only a token that passed everything else
	// consumes a use.
	ErrUsedUp = newReason("no more uses", "used_up", nil)
	// ErrNotReady: a [Verifier]'s key source has not been able to start:
	// its issuer has not been reached yet (a JWKS client started before
	// its issuer), or what the issuer publishes contradicts a local
	// setting (the cause, in a [*CauseError], says which). A server-side
	// state, not the token's; it ends by itself when the issuer answers.
	// errors.Is also matches rotation.ErrKeyUnavailable.
	ErrNotReady = newReason("key source not ready", "not_ready", rotation.ErrKeyUnavailable)
)

// reasons lists every refusal reason, for tests and documentation.
var reasons = []*reason{
	ErrTooLarge.(*reason), ErrMalformed.(*reason), ErrUnsupportedAlgorithm.(*reason),
	ErrUnsupportedHeader.(*reason), ErrUnknownKeyID.(*reason), ErrWindowRetired.(*reason),
	ErrWindowNotOpen.(*reason), ErrBadSignature.(*reason), ErrMissingClaim.(*reason),
	ErrExpired.(*reason), ErrNotYetValid.(*reason), ErrIssuedInFuture.(*reason),
	ErrTooOld.(*reason), ErrIssuer.(*reason), ErrAudience.(*reason), ErrRevoked.(*reason),
	ErrRevocationCheck.(*reason), ErrInvalidClaims.(*reason), ErrKeyUnavailable.(*reason), ErrUsedUp.(*reason),
	ErrNotReady.(*reason), ErrRevocationsLost.(*reason),
}

// A reason is the type of every refusal sentinel: a client phrase, a stable
// machine code, and the golang-jwt or rotation sentinel that means the same
// (alias), which errors.Is matches as well.
type reason struct {
	phrase, code string
	alias        error
}

func newReason(phrase, code string, alias error) error {
	return &reason{phrase: phrase, code: code, alias: alias}
}

func (r *reason) Error() string { return "jwtrot: " + r.phrase }

func (r *reason) Is(target error) bool { return r.alias != nil && target == r.alias }

// A refusal is a reason with a fixed detail. The details that carry no data
// are package variables, so refusing a token does not allocate.
type refusal struct {
	reason *reason
	detail string
}

func refuse(r error, detail string) error { return &refusal{reason: r.(*reason), detail: detail} }

func (e *refusal) Error() string { return e.reason.Error() + ": " + e.detail }

func (e *refusal) Unwrap() error { return e.reason }

// A CauseError is a refusal caused outside jwtrot: by the claims' own
// Validate method ([ErrInvalidClaims]) or by the [Revoker]
// ([ErrRevocationCheck]). Its message and errors.Is see only the reason, so
// every refusal matches exactly one reason whatever the cause wraps, and no
// text from the cause (which may quote a claim value or a key name) reaches
// a log by accident. Cause holds the original error for the application to
// inspect with errors.As.
type CauseError struct {
	// Reason is ErrInvalidClaims or ErrRevocationCheck.
	Reason error
	// Cause is the error the Validate method or the Revoker returned.
	Cause error
}

func (e *CauseError) Error() string {
	if errors.Is(e.Reason, ErrRevocationCheck) {
		return e.Reason.Error() + ": the revoker returned an error"
	}
	return e.Reason.Error() + ": refused by the claims' Validate method"
}

// Unwrap returns Reason, not Cause.
func (e *CauseError) Unwrap() error { return e.Reason }

// reasonOf returns the reason err wraps, or nil.
func reasonOf(err error) *reason {
	var r *reason
	if errors.As(err, &r) {
		return r
	}
	return nil
}

// Reason returns a short, fixed phrase for the reason err refuses a token,
// such as "token expired" or "key window retired", fit to show a client: it
// never contains anything from the token. It returns "" for nil and
// "invalid token" for an error that wraps none of the reasons.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	if r := reasonOf(err); r != nil {
		return r.phrase
	}
	return "invalid token"
}

// Code returns the stable machine name of the reason err refuses a token,
// such as "expired" or "window_retired": short, lower case, and never
// changed once published, fit for a metrics label or a log field (the
// table is in the package guide and SPEC.md). It returns "" for nil and
// "other" for an error that wraps none of the reasons.
func Code(err error) string {
	if err == nil {
		return ""
	}
	if r := reasonOf(err); r != nil {
		return r.code
	}
	return "other"
}

// Codes returns the machine name of every refusal reason, in a fixed order:
// the values a metrics label fed by [Code] can take, besides "other".
func Codes() []string {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.code
	}
	return codes
}
