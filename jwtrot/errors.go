package jwtrot

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtrot/jwtrot/rotation"
)

// The reasons a token is refused. Every error from [Authority.Verify] wraps
// exactly one of them; test with errors.Is. Where golang-jwt has a sentinel
// for the same reason, it is that very value, so code written against
// golang-jwt's errors keeps working. No message contains a token, a claim
// value or a key.
var (
	// ErrTooLarge: the token is longer than the size cap (WithMaxSize).
	ErrTooLarge = errors.New("jwtrot: token too large")
	// ErrMalformed: not three strict base64url segments, invalid or
	// ambiguous JSON, or a registered claim of the wrong type or range.
	ErrMalformed = jwt.ErrTokenMalformed
	// ErrUnsupportedAlgorithm: the header's alg is not the configured one.
	ErrUnsupportedAlgorithm = errors.New("jwtrot: unsupported algorithm")
	// ErrUnsupportedHeader: a header parameter jwtrot refuses: crit, jku,
	// jwk, x5u, x5c, or any other beyond alg, kid and typ.
	ErrUnsupportedHeader = errors.New("jwtrot: unsupported header parameter")
	// ErrUnknownKeyID: no kid, or a kid that is not the canonical spelling
	// of a configured root and a window index.
	ErrUnknownKeyID = rotation.ErrKeyID
	// ErrWindowRetired: the kid names a window older than the previous one.
	// The token went unused for more than a window.
	ErrWindowRetired = rotation.ErrWindowRetired
	// ErrWindowNotOpen: the kid names a window later than the current one
	// that has not yet come within the allowed skew; the signer's clock is
	// ahead of this one by more than the skew.
	ErrWindowNotOpen = rotation.ErrWindowNotOpen
	// ErrBadSignature: the MAC does not verify under the kid's key.
	ErrBadSignature = jwt.ErrTokenSignatureInvalid
	// ErrMissingClaim: exp or iat is absent, or iss or aud when configured.
	ErrMissingClaim = jwt.ErrTokenRequiredClaimMissing
	// ErrExpired: exp is not after now.
	ErrExpired = jwt.ErrTokenExpired
	// ErrNotYetValid: nbf is after now plus the skew.
	ErrNotYetValid = jwt.ErrTokenNotValidYet
	// ErrIssuedInFuture: iat is after now plus the skew.
	ErrIssuedInFuture = jwt.ErrTokenUsedBeforeIssued
	// ErrTooOld: iat is further in the past than the maximum age.
	ErrTooOld = errors.New("jwtrot: token older than the maximum age")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = jwt.ErrTokenInvalidIssuer
	// ErrAudience: aud does not name the configured audience.
	ErrAudience = jwt.ErrTokenInvalidAudience
	// ErrRevoked: the revocation checker says the token is revoked.
	ErrRevoked = errors.New("jwtrot: token revoked")
	// ErrRevocationCheck: the revocation checker failed; the token is
	// refused, since it could not be shown not to be revoked.
	ErrRevocationCheck = errors.New("jwtrot: revocation check failed")
	// ErrKeyUnavailable: the kid's window is acceptable but its key could
	// not be derived: the root is held in a module that has not answered
	// for that window (see rotation.NewExternalRoot). Fail closed.
	ErrKeyUnavailable = rotation.ErrKeyUnavailable
	// ErrInvalidClaims: the claims' own Validate method refused them
	// (jwt.ClaimsValidator), or they do not decode into the claims type.
	ErrInvalidClaims = jwt.ErrTokenInvalidClaims
)

// reasons lists the sentinels in the order Reason tests them, with short
// phrases fit for an HTTP error_description.
var reasons = []struct {
	err    error
	phrase string
}{
	{ErrTooLarge, "token too large"},
	{ErrUnsupportedAlgorithm, "unsupported algorithm"},
	{ErrUnsupportedHeader, "unsupported header parameter"},
	{ErrUnknownKeyID, "unknown key id"},
	{ErrWindowRetired, "key window retired"},
	{ErrWindowNotOpen, "key window not open yet"},
	{ErrKeyUnavailable, "signing key unavailable"},
	{ErrBadSignature, "bad signature"},
	{ErrMissingClaim, "required claim missing"},
	{ErrExpired, "token expired"},
	{ErrNotYetValid, "token not valid yet"},
	{ErrIssuedInFuture, "token issued in the future"},
	{ErrTooOld, "token too old"},
	{ErrIssuer, "wrong issuer"},
	{ErrAudience, "wrong audience"},
	{ErrRevoked, "token revoked"},
	{ErrRevocationCheck, "revocation check failed"},
	{ErrInvalidClaims, "invalid claims"},
	{ErrMalformed, "malformed token"},
}

// Reason returns a short, fixed phrase for the reason err refuses a token,
// such as "token expired" or "key window retired", fit to show a client: it
// never contains anything from the token. It returns "" for nil and
// "invalid token" for an error that wraps none of the sentinels.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.phrase
		}
	}
	return "invalid token"
}
