package jwtrot

import (
	"strings"
	"unsafe"

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
	var names [8]nameKey
	s := scanner{p: h, header: true, names: names[:]}
	s.skipSpace()
	if s.peek() != '{' {
		return "", 0, s.fail("not a JSON object")
	}
	var alg, kid, typ span
	var hasAlg, hasKid, hasTyp, unsupported bool
	err = s.object(1, func(name span) error {
		var dst *span
		var seen *bool
		switch {
		case s.equalString(name, "alg"):
			dst, seen = &alg, &hasAlg
		case s.equalString(name, "kid"):
			dst, seen = &kid, &hasKid
		case s.equalString(name, "typ"):
			dst, seen = &typ, &hasTyp
		default:
			// crit, jku, jwk, x5u, x5c, cty, b64 and anything else:
			// refused once the whole header has been read.
			unsupported = true
			return s.value(2)
		}
		if *seen {
			return s.fail("duplicate parameter")
		}
		*seen = true
		if s.peek() != '"' {
			return s.fail("parameter is not a string")
		}
		var err error
		*dst, err = s.str()
		return err
	})
	if err != nil {
		return "", 0, err
	}
	s.skipSpace()
	if s.i != len(h) {
		return "", 0, s.fail("data after the object")
	}
	switch {
	case !hasAlg:
		return "", 0, errNoAlg
	case !s.equalString(alg, a.alg.String()):
		return "", 0, ErrUnsupportedAlgorithm
	case unsupported:
		return "", 0, ErrUnsupportedHeader
	case hasTyp && !s.equalFoldString(typ, "JWT"):
		return "", 0, errTyp
	case !hasKid:
		return "", 0, errNoKid
	}
	if kid.start == kid.end {
		return "", 0, ErrUnknownKeyID
	}
	var kidText string
	if kid.escaped {
		kidText = unquote(h[kid.start:kid.end])
	} else {
		kidText = unsafe.String(&h[kid.start], kid.end-kid.start) // a view of buf, not kept
	}
	id, index, err := rotation.ParseKeyID(kidText)
	if err != nil {
		return "", 0, ErrUnknownKeyID
	}
	if e := ws.currentOf(id); e != nil {
		return e.rootID, index, nil
	}
	return strings.Clone(id), index, nil
}
