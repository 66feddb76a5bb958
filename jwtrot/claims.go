package jwtrot

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Limits on a claims object, keeping the work bounded for any input.
const (
	// maxDepth bounds nesting: the payload object is at depth 1, an object
	// or array among its members at depth 2, and so on (SPEC §5.3).
	maxDepth   = 32
	maxMembers = 64 // members of the top-level object
	maxAud     = 32 // entries of an "aud" array
	// maxNumericDate is 9999-12-31T23:59:59Z: later dates, and the
	// overflowing ones golang-jwt lets through, are refused.
	maxNumericDate = 253402300799
)

// span is a JSON string's location in the payload, with a flag for escapes.
type span struct {
	start, end int // the raw bytes between the quotes
	escaped    bool
	ascii      bool // no byte above 0x7f (escapes not considered)
}

// claimSet is what the verifier needs of a payload: the registered claims,
// their presence, and where their strings are. It is filled by scanClaims,
// which refuses anything a decoder could read two ways.
type claimSet struct {
	exp, nbf, iat          int64
	hasExp, hasNbf, hasIat bool
	iss, sub, jti          span
	hasIss, hasSub, hasJti bool
	aud                    [maxAud]span
	nAud                   int
	audArray               bool
	hasAud                 bool
	uses                   int64 // the N-use cap (UsesClaim), if hasUses
	hasUses                bool
	last                   int // offset of the closing brace of the object
	members                int // number of top-level members
	// others locates the members that are not registered claims, each
	// from its name's opening quote to the end of its value: what a
	// decoder into the caller's type still has to read.
	others  [maxMembers]struct{ start, end int32 }
	nOthers int
}

// registeredNames are the claims whose case variants are refused: a struct
// decoder matches names case-insensitively and keeps the last value.
var registeredNames = [...]string{"exp", "nbf", "iat", "iss", "sub", "aud", "jti"}

// foldedNames are the names whose case variants are refused: the
// registered claims and the use cap.
var foldedNames = append(registeredNames[:], UsesClaim)

// scanClaims validates p as one strict I-JSON object (RFC 7493: valid UTF-8,
// no lone surrogate escapes, no two member names of any object equal under
// Unicode simple case folding, bounded depth) and extracts the registered
// claims with their JSON types checked: exp, nbf and iat integers in [0,
// 9999-12-31]; iss, sub and jti strings; aud a string or an array of strings.
func scanClaims(p []byte) (claimSet, error) {
	var c claimSet
	var names [maxMembers]nameKey
	s := scanner{p: p, names: names[:]}
	s.skipSpace()
	if s.peek() != '{' {
		return c, s.fail("not a JSON object")
	}
	n := 0
	err := s.object(1, func(name span) error {
		if n == maxMembers {
			return s.fail("more than 64 claims")
		}
		n++
		start := name.start - 1 // the opening quote
		other, err := s.member(&c, name)
		if other {
			c.others[c.nOthers].start, c.others[c.nOthers].end = int32(start), int32(s.i)
			c.nOthers++
		}
		return err
	})
	if err != nil {
		return c, err
	}
	c.last, c.members = s.i-1, n
	s.skipSpace()
	if s.i != len(p) {
		return c, s.fail("data after the object")
	}
	return c, nil
}

// member reads one top-level member's value, typing the registered claims.
// It reports whether the member is one the registered claims do not hold
// (the use cap included: a claims type may read it too).
func (s *scanner) member(c *claimSet, name span) (other bool, err error) {
	reg, err := s.registered(name)
	if err != nil {
		return false, err
	}
	switch reg {
	case "exp":
		c.exp, err = s.numericDate(reg)
		c.hasExp = true
	case "nbf":
		c.nbf, err = s.numericDate(reg)
		c.hasNbf = true
	case "iat":
		c.iat, err = s.numericDate(reg)
		c.hasIat = true
	case "iss":
		c.iss, err = s.typedString(reg)
		c.hasIss = true
	case "sub":
		c.sub, err = s.typedString(reg)
		c.hasSub = true
	case "jti":
		c.jti, err = s.typedString(reg)
		c.hasJti = true
	case "aud":
		err = s.audience(c)
		c.hasAud = true
	case UsesClaim:
		c.uses, err = s.useCap()
		c.hasUses = true
		other = true
	default:
		err = s.value(2)
		other = true
	}
	return other, err
}

// registered returns the registered claim a member name is, "" for another
// name, and an error for a case variant of a registered name.
func (s *scanner) registered(name span) (string, error) {
	raw := s.p[name.start:name.end]
	if !name.escaped {
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
		if name.ascii && len(raw) != 3 && len(raw) != len(UsesClaim) ||
			!name.ascii && (len(raw) < 3 || len(raw) > 3*len(UsesClaim)) {
			return "", nil
		}
	}
	for _, r := range foldedNames {
		if s.equalString(name, r) {
			return r, nil
		}
		if s.equalFoldString(name, r) {
			return "", s.fail("claim name is a case variant of " + r)
		}
	}
	return "", nil
}

func (s *scanner) numericDate(name string) (int64, error) {
	return s.integer(name, "non-negative", maxNumericDate)
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

func (s *scanner) typedString(name string) (span, error) {
	if s.peek() != '"' {
		return span{}, s.fail(name + " is not a string")
	}
	return s.str()
}

func (s *scanner) audience(c *claimSet) error {
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
			if c.nAud == maxAud {
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

// scanner is a strict JSON reader over a byte slice. It never allocates
// except to unescape a string that holds escapes.
type scanner struct {
	p []byte
	i int
	// header is set when the scanner reads a header, not claims: what its
	// messages speak of. A flag, not a string, so that fail leaks nothing
	// of the scanner and its name table can stay on the caller's stack.
	header bool
	// names[:n] are the member names of the objects being read, innermost
	// last. names starts as the caller's array and is replaced, never
	// appended to, when it fills: a slice of the caller's stack stored back
	// through s would move that array to the heap.
	names []nameKey
	n     int
}

// A nameKey is a member name with the hash of its simple case folding.
type nameKey struct {
	hash uint64
	name span
}

// fail returns a refusal of the payload as malformed.
func (s *scanner) fail(detail string) error {
	what := "claims"
	if s.header {
		what = "header"
	}
	return fmt.Errorf("%w: %s: %s", ErrMalformed, what, detail)
}

func (s *scanner) peek() byte {
	if s.i < len(s.p) {
		return s.p[s.i]
	}
	return 0
}

func (s *scanner) consume(b byte) bool {
	if s.i < len(s.p) && s.p[s.i] == b {
		s.i++
		return true
	}
	return false
}

func (s *scanner) skipSpace() {
	for s.i < len(s.p) {
		switch s.p[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object reads the JSON object at the scanner, which sits at depth,
// calling each with every member's name when the scanner stands at the
// member's value, which each must read. It refuses two names equal under
// Unicode simple case folding: a Go struct decoder matches names that way
// and keeps the last value, another parser the first. A hash of each folded
// name and a small filter keep the check linear in practice; names are
// compared in full only when their hashes match.
func (s *scanner) object(depth int, each func(name span) error) error {
	if depth > maxDepth {
		return s.fail("nested deeper than 32")
	}
	if !s.consume('{') {
		return s.fail("expected an object")
	}
	s.skipSpace()
	if s.consume('}') {
		return nil
	}
	first := s.n
	defer func() { s.n = first }()
	var filter [16]uint64 // 1024 bits, indexed by the hash's low bits
	for {
		s.skipSpace()
		name, err := s.str()
		if err != nil {
			return err
		}
		h := s.foldHash(name)
		if bit := uint64(1) << (h & 63); filter[h>>6&15]&bit != 0 {
			for _, k := range s.names[first:s.n] {
				if k.hash == h && s.equalFold(k.name, name) {
					return s.fail("duplicate member name")
				}
			}
		} else {
			filter[h>>6&15] |= bit
		}
		if s.n == len(s.names) {
			more := make([]nameKey, 2*len(s.names)+16)
			copy(more, s.names)
			s.names = more
		}
		s.names[s.n] = nameKey{hash: h, name: name}
		s.n++
		s.skipSpace()
		if !s.consume(':') {
			return s.fail("expected ':'")
		}
		s.skipSpace()
		if err := each(name); err != nil {
			return err
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return s.fail("expected ',' or '}'")
	}
}

// value reads one JSON value, validating it; depth is the depth it has if
// it is an object or an array.
func (s *scanner) value(depth int) error {
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(depth, func(span) error { return s.value(depth + 1) })
	case c == '[':
		if depth > maxDepth {
			return s.fail("nested deeper than 32")
		}
		s.i++
		s.skipSpace()
		if s.consume(']') {
			return nil
		}
		for {
			s.skipSpace()
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.skipSpace()
			if s.consume(',') {
				continue
			}
			if s.consume(']') {
				return nil
			}
			return s.fail("expected ',' or ']'")
		}
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(s.p[s.i:], []byte(lit)) {
			s.i += len(lit)
			return nil
		}
	}
	return s.fail("invalid value")
}

// number reads a JSON number (RFC 8259 §6).
func (s *scanner) number() error {
	s.consume('-')
	switch {
	case s.consume('0'):
	case '1' <= s.peek() && s.peek() <= '9':
		s.digits()
	default:
		return s.fail("invalid number")
	}
	if s.consume('.') {
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if s.digits() == 0 {
			return s.fail("invalid number")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.p) && '0' <= s.p[s.i] && s.p[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// str reads a JSON string: valid UTF-8, no control characters, valid escapes.
func (s *scanner) str() (span, error) {
	if !s.consume('"') {
		return span{}, s.fail("expected a string")
	}
	sp := span{start: s.i, ascii: true}
	for s.i < len(s.p) {
		c := s.p[s.i]
		switch {
		case c == '"':
			sp.end = s.i
			s.i++
			return sp, nil
		case c == '\\':
			sp.escaped = true
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				r, ok := s.escapedRune(s.i - 1)
				if !ok {
					return span{}, s.fail("invalid escape")
				}
				s.i += 5
				switch {
				case 0xdc00 <= r && r < 0xe000:
					return span{}, s.fail("lone surrogate escape")
				case 0xd800 <= r && r < 0xdc00:
					// RFC 7493 §2.1: a high surrogate must be followed by
					// the escape of a low one.
					r2, ok := s.escapedRune(s.i)
					if !ok || r2 < 0xdc00 || r2 >= 0xe000 {
						return span{}, s.fail("lone surrogate escape")
					}
					s.i += 6
					r = (r-0xd800)<<10 + (r2 - 0xdc00) + 0x10000
				}
				if noncharacter(r) {
					return span{}, s.fail("noncharacter")
				}
			default:
				return span{}, s.fail("invalid escape")
			}
		case c < 0x20:
			return span{}, s.fail("control character in a string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			sp.ascii = false
			r, size := utf8.DecodeRune(s.p[s.i:])
			if r == utf8.RuneError && size <= 1 {
				return span{}, s.fail("invalid UTF-8")
			}
			if noncharacter(r) {
				return span{}, s.fail("noncharacter")
			}
			s.i += size
		}
	}
	return span{}, s.fail("unterminated string")
}

// escapedRune reads the \uXXXX escape at p[at:], reporting false if there
// is none.
func (s *scanner) escapedRune(at int) (rune, bool) {
	if at+6 > len(s.p) || s.p[at] != '\\' || s.p[at+1] != 'u' {
		return 0, false
	}
	for _, h := range s.p[at+2 : at+6] {
		if !isHexDigit(h) {
			return 0, false
		}
	}
	return rune(hexValue(s.p[at+2 : at+6])), true
}

// foldHash returns an FNV-1a hash of the name under Unicode simple case
// folding: every rune is replaced by the smallest rune of its folding orbit
// ('k', 'K' and the Kelvin sign all become 'K'), so names that EqualFold
// says are equal hash alike.
func (s *scanner) foldHash(name span) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	raw := s.p[name.start:name.end]
	if name.ascii && !name.escaped {
		for _, c := range raw {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			h = (h ^ uint64(c)) * prime
		}
		return h
	}
	text := string(raw)
	if name.escaped {
		text = unquote(raw)
	}
	for _, r := range text {
		h = (h ^ uint64(foldRune(r))) * prime
	}
	return h
}

// foldRune returns the smallest rune of r's simple case folding orbit.
func foldRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// noncharacter reports whether r is one of Unicode's 66 noncharacters
// (U+FDD0 to U+FDEF, and the last two code points of every plane), which
// RFC 7493 §2.1 forbids in I-JSON strings.
func noncharacter(r rune) bool {
	return 0xfdd0 <= r && r <= 0xfdef || r&0xfffe == 0xfffe
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// text returns the string a span stands for, unescaped.
func (s *scanner) text(sp span) string { return spanText(s.p, sp) }

func spanText(p []byte, sp span) string {
	raw := p[sp.start:sp.end]
	if !sp.escaped {
		return string(raw)
	}
	return unquote(raw)
}

// spanEqual reports whether a span stands for exactly s, without allocating
// when the span holds no escapes.
func spanEqual(p []byte, sp span, s string) bool {
	if !sp.escaped {
		return string(p[sp.start:sp.end]) == s
	}
	return unquote(p[sp.start:sp.end]) == s
}

func (s *scanner) equalString(sp span, want string) bool { return spanEqual(s.p, sp, want) }

func (s *scanner) equalFoldString(sp span, want string) bool {
	if !sp.escaped {
		return bytes.EqualFold(s.p[sp.start:sp.end], []byte(want))
	}
	return bytes.EqualFold([]byte(unquote(s.p[sp.start:sp.end])), []byte(want))
}

func (s *scanner) equalFold(a, b span) bool {
	if !a.escaped && !b.escaped {
		if a.ascii && b.ascii && a.end-a.start != b.end-b.start {
			return false
		}
		return bytes.EqualFold(s.p[a.start:a.end], s.p[b.start:b.end])
	}
	return bytes.EqualFold([]byte(s.text(a)), []byte(s.text(b)))
}

// unquote decodes the escapes of a string already validated by str, which
// refuses lone surrogates.
func unquote(raw []byte) string {
	var b []byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := rune(hexValue(raw[i+1 : i+5]))
			i += 4
			if 0xd800 <= r && r < 0xdc00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2 := rune(hexValue(raw[i+3 : i+7])); 0xdc00 <= r2 && r2 < 0xe000 {
					r = (r-0xd800)<<10 + (r2 - 0xdc00) + 0x10000
					i += 6
				}
			}
			if 0xd800 <= r && r < 0xe000 {
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\', '/'
			b = append(b, raw[i])
		}
	}
	return string(b)
}

func hexValue(h []byte) uint32 {
	var v uint32
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		v = v<<4 | uint32(c)
	}
	return v
}
