package jwtrot

import "github.com/jwtrot/jwtrot/internal/jwtjson"

// scanClaims reads a payload with the strict reader (SPEC §5.3): one
// I-JSON object, nothing a decoder could read two ways, the registered
// claims and the use cap of their JSON types and ranges. Which of them a
// token needs, and what they must say, is checkClaims' business.
func scanClaims(p []byte) (jwtjson.Claims, error) {
	var c jwtjson.Claims
	if err := jwtjson.ScanClaims(p, &c); err != nil {
		return c, malformed(err)
	}
	return c, nil
}

// malformed refuses a header or a payload the strict reader refused: the
// one place its errors become ErrMalformed, with the reader's detail
// ("jwtrot: malformed token: claims: duplicate member name").
func malformed(err error) error {
	if e, ok := err.(*jwtjson.Error); ok {
		return malformedJSON{e}
	}
	return err // the reader returns only *jwtjson.Error
}

// A malformedJSON is ErrMalformed with the reader's error. Holding a single
// pointer, it becomes an error without an allocation of its own.
type malformedJSON struct{ e *jwtjson.Error }

func (m malformedJSON) Error() string { return ErrMalformed.Error() + ": " + m.e.Error() }

func (m malformedJSON) Unwrap() error { return ErrMalformed }
