package jwtjson

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

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
	name Span
}

// fail returns a refusal of the input as malformed.
func (s *scanner) fail(detail string) error {
	return &Error{Header: s.header, Detail: detail}
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
func (s *scanner) object(depth int, each func(name Span) error) error {
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
		return s.object(depth, func(Span) error { return s.value(depth + 1) })
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
func (s *scanner) str() (Span, error) {
	if !s.consume('"') {
		return Span{}, s.fail("expected a string")
	}
	sp := Span{Start: s.i, ASCII: true}
	for s.i < len(s.p) {
		c := s.p[s.i]
		switch {
		case c == '"':
			sp.End = s.i
			s.i++
			return sp, nil
		case c == '\\':
			sp.Escaped = true
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				r, ok := s.escapedRune(s.i - 1)
				if !ok {
					return Span{}, s.fail("invalid escape")
				}
				s.i += 5
				switch {
				case 0xdc00 <= r && r < 0xe000:
					return Span{}, s.fail("lone surrogate escape")
				case 0xd800 <= r && r < 0xdc00:
					// RFC 7493 §2.1: a high surrogate must be followed by
					// the escape of a low one.
					r2, ok := s.escapedRune(s.i)
					if !ok || r2 < 0xdc00 || r2 >= 0xe000 {
						return Span{}, s.fail("lone surrogate escape")
					}
					s.i += 6
					r = (r-0xd800)<<10 + (r2 - 0xdc00) + 0x10000
				}
				if noncharacter(r) {
					return Span{}, s.fail("noncharacter")
				}
			default:
				return Span{}, s.fail("invalid escape")
			}
		case c < 0x20:
			return Span{}, s.fail("control character in a string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			sp.ASCII = false
			r, size := utf8.DecodeRune(s.p[s.i:])
			if r == utf8.RuneError && size <= 1 {
				return Span{}, s.fail("invalid UTF-8")
			}
			if noncharacter(r) {
				return Span{}, s.fail("noncharacter")
			}
			s.i += size
		}
	}
	return Span{}, s.fail("unterminated string")
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
func (s *scanner) foldHash(name Span) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	raw := s.p[name.Start:name.End]
	if name.ASCII && !name.Escaped {
		for _, c := range raw {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			h = (h ^ uint64(c)) * prime
		}
		return h
	}
	text := string(raw)
	if name.Escaped {
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

func (s *scanner) equalFold(a, b Span) bool {
	if !a.Escaped && !b.Escaped {
		if a.ASCII && b.ASCII && a.End-a.Start != b.End-b.Start {
			return false
		}
		return bytes.EqualFold(s.p[a.Start:a.End], s.p[b.Start:b.End])
	}
	return bytes.EqualFold([]byte(a.Text(s.p)), []byte(b.Text(s.p)))
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
