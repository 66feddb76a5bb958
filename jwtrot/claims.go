package jwtrot

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Limits on a claims object, keeping the work bounded for any input.
const (
	maxDepth   = 32 // nesting of objects and arrays
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
	last                   int // offset of the closing brace of the object
	members                int // number of top-level members
}

// errClaims wraps every reason scanClaims refuses a payload.
var errClaims = fmt.Errorf("%w: claims", ErrMalformed)

func claimsErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errClaims}, args...)...)
}

// registeredNames are the claims whose case variants are refused: a struct
// decoder matches names case-insensitively and keeps the last value.
var registeredNames = [...]string{"exp", "nbf", "iat", "iss", "sub", "aud", "jti"}

// scanClaims validates p as one strict JSON object (RFC 8259, valid UTF-8, no
// duplicate or case-variant member names at the top level, bounded depth)
// and extracts the registered claims with their JSON types checked: exp, nbf
// and iat integers in [0, 9999-12-31]; iss, sub and jti strings; aud a string
// or an array of strings.
func scanClaims(p []byte) (claimSet, error) {
	var c claimSet
	s := scanner{p: p}
	s.skipSpace()
	if !s.consume('{') {
		return c, claimsErr("not a JSON object")
	}
	s.i-- // object reads the brace
	var names [maxMembers]span
	n := 0
	err := s.object(func(name span) error {
		if n == maxMembers {
			return claimsErr("more than %d claims", maxMembers)
		}
		for _, prev := range names[:n] {
			if s.equalFold(prev, name) {
				return claimsErr("duplicate claim name")
			}
		}
		names[n] = name
		n++
		return s.member(&c, name)
	})
	if err != nil {
		return c, err
	}
	c.last, c.members = s.i-1, n
	s.skipSpace()
	if s.i != len(p) {
		return c, claimsErr("data after the object")
	}
	return c, nil
}

// member reads one top-level member's value, typing the registered claims.
func (s *scanner) member(c *claimSet, name span) error {
	reg, err := s.registered(name)
	if err != nil {
		return err
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
	default:
		err = s.value(1)
	}
	return err
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
		// A case variant of a three-letter ASCII name is three runes, at
		// most three bytes each (K, the Kelvin sign, folds to k).
		if len(raw) < 3 || len(raw) > 9 || name.ascii && len(raw) != 3 {
			return "", nil
		}
	}
	for _, r := range registeredNames {
		if s.equalString(name, r) {
			return r, nil
		}
		if s.equalFoldString(name, r) {
			return "", claimsErr("claim name is a case variant of %q", r)
		}
	}
	return "", nil
}

func (s *scanner) numericDate(name string) (int64, error) {
	start := s.i
	if err := s.number(); err != nil {
		return 0, claimsErr("%s is not a number", name)
	}
	var v int64
	for _, d := range s.p[start:s.i] {
		if d < '0' || d > '9' {
			// A fraction, an exponent or a minus sign: jwtrot reads only
			// non-negative integer NumericDates (SPEC.md).
			return 0, claimsErr("%s is not a non-negative integer", name)
		}
		if v = v*10 + int64(d-'0'); v > maxNumericDate {
			return 0, claimsErr("%s is out of range", name)
		}
	}
	return v, nil
}

func (s *scanner) typedString(name string) (span, error) {
	if s.peek() != '"' {
		return span{}, claimsErr("%s is not a string", name)
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
				return claimsErr("aud holds a value that is not a string")
			}
			if c.nAud == maxAud {
				return claimsErr("aud has more than %d entries", maxAud)
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
			return claimsErr("expected ',' or ']'")
		}
	}
	return claimsErr("aud is neither a string nor an array")
}

// scanner is a strict JSON reader over a byte slice. It never allocates
// except to unescape a string that holds escapes.
type scanner struct {
	p []byte
	i int
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

// object reads the JSON object at the scanner, calling each with every
// member's name when the scanner stands at the member's value, which each
// must read.
func (s *scanner) object(each func(name span) error) error {
	if !s.consume('{') {
		return claimsErr("expected an object")
	}
	s.skipSpace()
	if s.consume('}') {
		return nil
	}
	for {
		s.skipSpace()
		name, err := s.str()
		if err != nil {
			return err
		}
		s.skipSpace()
		if !s.consume(':') {
			return claimsErr("expected ':'")
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
		return claimsErr("expected ',' or '}'")
	}
}

// value skips one JSON value at the given depth, validating it.
func (s *scanner) value(depth int) error {
	if depth > maxDepth {
		return claimsErr("nested deeper than %d", maxDepth)
	}
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(func(span) error { return s.value(depth + 1) })
	case c == '[':
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
			return claimsErr("expected ',' or ']'")
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
	return claimsErr("invalid value")
}

// number reads a JSON number (RFC 8259 §6).
func (s *scanner) number() error {
	s.consume('-')
	switch {
	case s.consume('0'):
	case '1' <= s.peek() && s.peek() <= '9':
		s.digits()
	default:
		return claimsErr("invalid number")
	}
	if s.consume('.') {
		if s.digits() == 0 {
			return claimsErr("invalid number")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if s.digits() == 0 {
			return claimsErr("invalid number")
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
		return span{}, claimsErr("expected a string")
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
				if s.i+5 > len(s.p) {
					return span{}, claimsErr("invalid escape")
				}
				for _, h := range s.p[s.i+1 : s.i+5] {
					if !isHexDigit(h) {
						return span{}, claimsErr("invalid escape")
					}
				}
				s.i += 5
			default:
				return span{}, claimsErr("invalid escape")
			}
		case c < 0x20:
			return span{}, claimsErr("control character in a string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			sp.ascii = false
			r, size := utf8.DecodeRune(s.p[s.i:])
			if r == utf8.RuneError && size <= 1 {
				return span{}, claimsErr("invalid UTF-8")
			}
			s.i += size
		}
	}
	return span{}, claimsErr("unterminated string")
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

// unquote decodes the escapes of a string already validated by str. A lone
// surrogate becomes U+FFFD, as encoding/json does.
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
