package jwtrot

import (
	"errors"
	"fmt"
)

// maxHeaderLen bounds a header read on the slow path.
const maxHeaderLen = 512

// readHeader reads a header that is not one of the canonical ones jwtrot
// emits: another library's spelling of the same parameters (member order,
// white space, escapes), or an attack. It refuses anything but a strict JSON
// object with alg (the configured algorithm), kid (a string) and optionally
// typ ("JWT", in any case), each once, and returns the kid.
func (a *Authority) readHeader(header string) (string, error) {
	if len(header) > maxHeaderLen || !isBase64URL(header) {
		return "", fmt.Errorf("%w: header is not strict base64url", ErrMalformed)
	}
	h, err := rawURL.DecodeString(header)
	if err != nil {
		return "", fmt.Errorf("%w: header is not strict base64url", ErrMalformed)
	}
	s := scanner{p: h}
	s.skipSpace()
	if s.peek() != '{' {
		return "", fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	var alg, kid, typ span
	var hasAlg, hasKid, hasTyp, unsupported bool
	err = s.object(func(name span) error {
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
			return s.value(1)
		}
		if *seen {
			return fmt.Errorf("%w: header: duplicate parameter", ErrMalformed)
		}
		*seen = true
		if s.peek() != '"' {
			return fmt.Errorf("%w: header: parameter is not a string", ErrMalformed)
		}
		var err error
		*dst, err = s.str()
		return err
	})
	if errors.Is(err, errClaims) {
		// The scanner's messages speak of claims.
		return "", fmt.Errorf("%w: header is not strict JSON", ErrMalformed)
	}
	if err != nil {
		return "", err
	}
	s.skipSpace()
	if s.i != len(h) {
		return "", fmt.Errorf("%w: header: data after the object", ErrMalformed)
	}
	switch {
	case !hasAlg:
		return "", fmt.Errorf("%w: header has no alg", ErrMalformed)
	case !s.equalString(alg, a.alg.String()):
		return "", ErrUnsupportedAlgorithm
	case unsupported:
		return "", ErrUnsupportedHeader
	case hasTyp && !s.equalFoldString(typ, "JWT"):
		return "", fmt.Errorf("%w: typ", ErrUnsupportedHeader)
	case !hasKid:
		return "", fmt.Errorf("%w: header has no kid", ErrUnknownKeyID)
	}
	return s.text(kid), nil
}
