package jwtjson

// A Header locates the parameters of a JOSE header that jwtrot reads: alg,
// kid and typ. What they must hold is the caller's rule.
type Header struct {
	Alg, Kid, Typ          Span
	HasAlg, HasKid, HasTyp bool
	// Other is set when the header has any other parameter (crit, jku,
	// jwk, x5u, x5c, cty, b64...), which the caller refuses once the whole
	// header has been read.
	Other bool
}

// ScanHeader validates h as one strict I-JSON object, as ScanClaims does a
// payload, in which alg, kid and typ appear at most once each and are
// strings. It allocates nothing for a header without escapes and with at
// most eight parameters.
func ScanHeader(h []byte) (Header, error) {
	var hd Header
	var names [8]nameKey
	s := scanner{p: h, header: true, names: names[:]}
	s.skipSpace()
	if s.peek() != '{' {
		return hd, s.fail("not a JSON object")
	}
	err := s.object(1, func(name Span) error {
		var dst *Span
		var seen *bool
		switch {
		case name.Equal(h, "alg"):
			dst, seen = &hd.Alg, &hd.HasAlg
		case name.Equal(h, "kid"):
			dst, seen = &hd.Kid, &hd.HasKid
		case name.Equal(h, "typ"):
			dst, seen = &hd.Typ, &hd.HasTyp
		default:
			hd.Other = true
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
		return hd, err
	}
	s.skipSpace()
	if s.i != len(h) {
		return hd, s.fail("data after the object")
	}
	return hd, nil
}
