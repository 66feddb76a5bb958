package jwtrot

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
// typ ("JWT", in any case), each once, and returns the kid.
func (a *pipeline) readHeader(header string) (string, error) {
	if len(header) > maxHeaderLen {
		return "", errHeaderTooLong
	}
	h, err := rawURL.DecodeString(header)
	if err != nil {
		return "", errNotBase64 // checked before: step 2 of SPEC §6
	}
	var names [8]nameKey
	s := scanner{p: h, what: "header", names: names[:0]}
	s.skipSpace()
	if s.peek() != '{' {
		return "", s.fail("not a JSON object")
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
		return "", err
	}
	s.skipSpace()
	if s.i != len(h) {
		return "", s.fail("data after the object")
	}
	switch {
	case !hasAlg:
		return "", errNoAlg
	case !s.equalString(alg, a.alg.String()):
		return "", ErrUnsupportedAlgorithm
	case unsupported:
		return "", ErrUnsupportedHeader
	case hasTyp && !s.equalFoldString(typ, "JWT"):
		return "", errTyp
	case !hasKid:
		return "", errNoKid
	}
	return s.text(kid), nil
}
