// Package jwtjson is the strict JSON reader of jwtrot's tokens: the
// header and the claims of a JWT, read as one strict I-JSON object each
// (RFC 7493, SPEC §5.3), with nothing a decoder could read two ways, and
// the claims delivered into the caller's claims value as encoding/json
// would deliver them, reading the payload once.
//
// It knows the format, not the rules: which claims a token needs, the time
// checks and the reasons a token is refused are package jwtrot's, which
// maps every [*Error] to its ErrMalformed. The unsafe code that views the
// payload's bytes as strings and boxes values into interfaces in blocks
// lives here and nowhere else.
//
// # Reading
//
// [ScanClaims] validates a payload and types its registered claims (and
// the use cap, [UsesClaim]); [Claims.Decode] then fills a claims value
// from the same scan. [ScanHeader] validates a header and locates its alg,
// kid and typ. Both locate strings as a [Span] of the input, unescaped only
// when asked.
package jwtjson

// Limits on a claims object, keeping the work bounded for any input.
const (
	// maxDepth bounds nesting: the payload object is at depth 1, an object
	// or array among its members at depth 2, and so on (SPEC §5.3).
	maxDepth = 32
	// MaxMembers bounds the members of the top-level object.
	MaxMembers = 64
	// MaxAud bounds the entries of an "aud" array.
	MaxAud = 32
	// MaxNumericDate is 9999-12-31T23:59:59Z: later dates, and the
	// overflowing ones golang-jwt lets through, are refused.
	MaxNumericDate = 253402300799
)

// The use cap of an N-use token (SPEC §5.4): the reader types it as it
// types the registered claims. Package jwtrot exports the same values as
// its UsesClaim and MaxUses (a test there checks they agree).
const (
	UsesClaim = "github.com/jwtrot/uses"
	MaxUses   = 1_000_000
)

// Claims is what the verifier needs of a payload: the registered claims,
// their presence, and where their strings are. It is filled by
// [ScanClaims], which refuses anything a decoder could read two ways.
type Claims struct {
	Exp, Nbf, Iat          int64
	HasExp, HasNbf, HasIat bool
	Iss, Sub, Jti          Span
	HasIss, HasSub, HasJti bool
	HasAud                 bool
	aud                    [MaxAud]Span
	nAud                   int
	audArray               bool
	Uses                   int64 // the N-use cap (UsesClaim), if HasUses
	HasUses                bool
	Last                   int // offset of the closing brace of the object
	Members                int // number of top-level members
	// others locates the members that are not registered claims, each
	// from its name's opening quote to the end of its value: what a
	// decoder into the caller's type still has to read.
	others  [MaxMembers]struct{ Start, End int32 }
	nOthers int
}

// Audience returns the entries of aud: one for a string, any number for
// an array.
func (c *Claims) Audience() []Span { return c.aud[:c.nAud] }

// registeredNames are the claims whose case variants are refused: a struct
// decoder matches names case-insensitively and keeps the last value.
var registeredNames = [...]string{"exp", "nbf", "iat", "iss", "sub", "aud", "jti"}

// foldedNames are the names whose case variants are refused: the
// registered claims and the use cap.
var foldedNames = append(registeredNames[:], UsesClaim)

// ScanClaims validates p as one strict I-JSON object (RFC 7493: valid UTF-8,
// no lone surrogate escapes, no two member names of any object equal under
// Unicode simple case folding, bounded depth) and extracts into c the registered
// claims with their JSON types checked: exp, nbf and iat integers in [0,
// 9999-12-31]; iss, sub and jti strings; aud a string or an array of
// strings; UsesClaim an integer in [1, MaxUses]. A refusal is an [*Error].
func ScanClaims(p []byte, c *Claims) error {
	*c = Claims{}
	var names [MaxMembers]nameKey
	s := scanner{p: p, names: names[:]}
	s.skipSpace()
	if s.peek() != '{' {
		return s.fail("not a JSON object")
	}
	n := 0
	err := s.object(1, func(name Span) error {
		if n == MaxMembers {
			return s.fail("more than 64 claims")
		}
		n++
		start := name.Start - 1 // the opening quote
		other, err := s.member(c, name)
		if other {
			c.others[c.nOthers].Start, c.others[c.nOthers].End = int32(start), int32(s.i)
			c.nOthers++
		}
		return err
	})
	if err != nil {
		return err
	}
	c.Last, c.Members = s.i-1, n
	s.skipSpace()
	if s.i != len(p) {
		return s.fail("data after the object")
	}
	return nil
}

// member reads one top-level member's value, typing the registered claims.
// It reports whether the member is one the registered claims do not hold
// (the use cap included: a claims type may read it too).
func (s *scanner) member(c *Claims, name Span) (other bool, err error) {
	reg, err := s.registered(name)
	if err != nil {
		return false, err
	}
	switch reg {
	case "exp":
		c.Exp, err = s.numericDate(reg)
		c.HasExp = true
	case "nbf":
		c.Nbf, err = s.numericDate(reg)
		c.HasNbf = true
	case "iat":
		c.Iat, err = s.numericDate(reg)
		c.HasIat = true
	case "iss":
		c.Iss, err = s.typedString(reg)
		c.HasIss = true
	case "sub":
		c.Sub, err = s.typedString(reg)
		c.HasSub = true
	case "jti":
		c.Jti, err = s.typedString(reg)
		c.HasJti = true
	case "aud":
		err = s.audience(c)
		c.HasAud = true
	case UsesClaim:
		c.Uses, err = s.useCap()
		c.HasUses = true
		other = true
	default:
		err = s.value(2)
		other = true
	}
	return other, err
}

// registered returns the registered claim a member name is, "" for another
// name, and an error for a case variant of a registered name.
func (s *scanner) registered(name Span) (string, error) {
	raw := s.p[name.Start:name.End]
	if !name.Escaped {
		for _, r := range registeredNames {
			if string(raw) == r {
				return r, nil // the constant: string(raw) would allocate
			}
		}
		if string(raw) == UsesClaim {
			return UsesClaim, nil
		}
		// An ASCII name can be a case variant only of a name as long. A
		// non-ASCII one has as many runes, at most three bytes each (K,
		// the Kelvin sign, folds to k; ſ, the long s, to s).
		if name.ASCII && len(raw) != 3 && len(raw) != len(UsesClaim) ||
			!name.ASCII && (len(raw) < 3 || len(raw) > 3*len(UsesClaim)) {
			return "", nil
		}
	}
	for _, r := range foldedNames {
		if name.Equal(s.p, r) {
			return r, nil
		}
		if name.EqualFold(s.p, r) {
			return "", s.fail("claim name is a case variant of " + r)
		}
	}
	return "", nil
}

func (s *scanner) numericDate(name string) (int64, error) {
	return s.integer(name, "non-negative", MaxNumericDate)
}

// integer reads a JSON integer in [0, max] written without sign, fraction
// or exponent: jwtrot reads only such NumericDates and use caps (SPEC.md).
// kind names the range in a refusal ("non-negative", "positive").
func (s *scanner) integer(name, kind string, max int64) (int64, error) {
	start := s.i
	if err := s.number(); err != nil {
		return 0, s.fail(name + " is not a number")
	}
	var v int64
	for _, d := range s.p[start:s.i] {
		if d < '0' || d > '9' {
			return 0, s.fail(name + " is not a " + kind + " integer")
		}
		if v = v*10 + int64(d-'0'); v > max {
			return 0, s.fail(name + " is out of range")
		}
	}
	return v, nil
}

func (s *scanner) typedString(name string) (Span, error) {
	if s.peek() != '"' {
		return Span{}, s.fail(name + " is not a string")
	}
	return s.str()
}

func (s *scanner) audience(c *Claims) error {
	switch s.peek() {
	case '"':
		sp, err := s.str()
		c.aud[0], c.nAud = sp, 1
		return err
	case '[':
		s.i++
		c.audArray = true
		s.skipSpace()
		if s.consume(']') {
			return nil
		}
		for {
			s.skipSpace()
			if s.peek() != '"' {
				return s.fail("aud holds a value that is not a string")
			}
			if c.nAud == MaxAud {
				return s.fail("aud has more than 32 entries")
			}
			sp, err := s.str()
			if err != nil {
				return err
			}
			c.aud[c.nAud] = sp
			c.nAud++
			s.skipSpace()
			if s.consume(',') {
				continue
			}
			if s.consume(']') {
				return nil
			}
			return s.fail("expected ',' or ']'")
		}
	}
	return s.fail("aud is neither a string nor an array")
}

// useCap reads the value of UsesClaim: an integer in [1, MaxUses] written
// without sign, fraction or exponent.
func (s *scanner) useCap() (int64, error) {
	v, err := s.integer(UsesClaim, "positive", MaxUses)
	if err == nil && v < 1 {
		return 0, s.fail(UsesClaim + " is out of range")
	}
	return v, err
}
