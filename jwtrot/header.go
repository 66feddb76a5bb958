package jwtrot

import (
	"strings"

	"github.com/jwtrot/jwtrot/internal/jwtjson"
	"github.com/jwtrot/jwtrot/rotation"
)

// maxHeaderLen bounds a header read on the slow path, in encoded bytes.
const maxHeaderLen = 512

// Refusals that carry no data, allocated once.
var (
	errTooFewSegments   = refuse(ErrMalformed, "not three segments")
	errEmptySegment     = refuse(ErrMalformed, "empty segment")
	errNotBase64        = refuse(ErrMalformed, "not strict base64url")
	errNotCanonical     = refuse(ErrMalformed, "not canonical base64url (the final character has unused bits set, or the length is impossible)")
	errHeaderTooLong    = refuse(ErrMalformed, "header longer than 512 bytes")
	errNoAlg            = refuse(ErrMalformed, "header has no alg")
	errTyp              = refuse(ErrUnsupportedHeader, "typ is not JWT")
	errNoKid            = refuse(ErrUnknownKeyID, "header has no kid")
	errSigLength        = refuse(ErrBadSignature, "signature has the wrong length")
	errNoExp            = refuse(ErrMissingClaim, "exp")
	errNoIat            = refuse(ErrMissingClaim, "iat")
	errNoIss            = refuse(ErrMissingClaim, "iss")
	errNoAud            = refuse(ErrMissingClaim, "aud")
	errNilClaims        = refuse(ErrInvalidClaims, "the claims value is a nil pointer or a nil MapClaims")
	errClaimsNotPointer = refuse(ErrInvalidClaims, "the claims value is not a pointer (pass &claims) nor a MapClaims")
	errClaimsDecode     = refuse(ErrInvalidClaims, "the claims do not decode into the claims type")
)

// readHeader reads a header that is not one of the canonical ones jwtrot
// emits: another library's spelling of the same parameters (member order,
// white space, escapes), or an attack. It refuses anything but a strict JSON
// object with alg (the configured algorithm), kid (a string) and optionally
// typ ("JWT", in any case), each once, and returns the root id and window
// index of the kid: the window set's own string for a root it holds, so that
// refusing a retired window allocates nothing.
func (a *pipeline) readHeader(ws *windowSet, header string) (rootID string, index int64, err error) {
	if len(header) > maxHeaderLen {
		return "", 0, errHeaderTooLong
	}
	var buf [maxHeaderLen / 4 * 3]byte
	n, err := rawURL.Decode(buf[:], bytesOf(header))
	if err != nil {
		return "", 0, errNotBase64 // checked before: step 2 of SPEC §6
	}
	h := buf[:n]
	hd, err := jwtjson.ScanHeader(h)
	if err != nil {
		return "", 0, malformed(err)
	}
	switch {
	case !hd.HasAlg:
		return "", 0, errNoAlg
	case !hd.Alg.Equal(h, a.alg.String()):
		return "", 0, ErrUnsupportedAlgorithm
	case hd.Other:
		return "", 0, ErrUnsupportedHeader
	case hd.HasTyp && !hd.Typ.EqualFold(h, "JWT"):
		return "", 0, errTyp
	case !hd.HasKid:
		return "", 0, errNoKid
	}
	if hd.Kid.Start == hd.Kid.End {
		return "", 0, ErrUnknownKeyID
	}
	// A view of buf when the kid has no escapes, not kept: the root id is
	// the window set's string or a clone.
	kidText := hd.Kid.View(h)
	id, index, err := rotation.ParseKeyID(kidText)
	if err != nil {
		return "", 0, ErrUnknownKeyID
	}
	if e := ws.currentOf(id); e != nil {
		return e.rootID, index, nil
	}
	return strings.Clone(id), index, nil
}
