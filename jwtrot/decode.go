package jwtrot

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
)

// A structPlan says how to decode into a pointer to one struct type: which
// field is the embedded jwt.RegisteredClaims that the scan fills directly,
// or that the type must go through encoding/json whole.
type structPlan struct {
	direct bool // false: json.Unmarshal the whole payload
	reg    int  // index of the embedded jwt.RegisteredClaims
}

var (
	plans          sync.Map // reflect.Type → *structPlan
	registeredType = reflect.TypeOf(jwt.RegisteredClaims{})
	unmarshalerTyp = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// planFor returns the plan of struct type t. A struct decodes directly only
// when nothing but its embedded jwt.RegisteredClaims could take a
// registered claim: it embeds RegisteredClaims by value and untagged, it
// has no UnmarshalJSON of its own, and no other field, promoted ones
// included, has a JSON name that encoding/json would match to a registered
// name (case-insensitively). Anything else takes encoding/json's path, so
// the result is always what json.Unmarshal gives.
func planFor(t reflect.Type) *structPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*structPlan)
	}
	p := &structPlan{reg: -1}
	if !t.Implements(unmarshalerTyp) && !reflect.PointerTo(t).Implements(unmarshalerTyp) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type == registeredType && f.Tag.Get("json") == "" {
				p.reg = i
				break
			}
		}
		p.direct = p.reg >= 0 && !claimsNameElsewhere(t, p.reg, 0)
	}
	plans.Store(t, p)
	return p
}

// claimsNameElsewhere reports whether a field of t other than field skip
// (at the top level) could receive a registered claim, or cannot be
// analysed simply.
func claimsNameElsewhere(t reflect.Type, skip, depth int) bool {
	if depth > 8 {
		return true
	}
	for i := 0; i < t.NumField(); i++ {
		if depth == 0 && i == skip {
			continue
		}
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if ft.Implements(unmarshalerTyp) || reflect.PointerTo(ft).Implements(unmarshalerTyp) || claimsNameElsewhere(ft, -1, depth+1) {
					return true
				}
				continue
			}
		}
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		if name == "" {
			name = f.Name
		}
		for _, r := range registeredNames {
			if strings.EqualFold(name, r) {
				return true
			}
		}
	}
	return false
}

// decodeMap decodes the payload into m reading it once: the registered
// claims from the scan, as encoding/json would give them (numbers as
// float64, aud as a string or a []any of strings), and only the other
// members through encoding/json.
func decodeMap(p []byte, c *claimSet, m jwt.MapClaims) error {
	for _, o := range c.others[:c.nOthers] {
		s := scanner{p: p[:o.end], i: int(o.start)}
		name, _ := s.str() // validated by scanClaims, as is the rest
		s.skipSpace()
		s.consume(':')
		s.skipSpace()
		v, err := s.anyValue()
		if err != nil {
			return err
		}
		m[spanText(p, name)] = v
	}
	for _, d := range [...]struct {
		name string
		has  bool
		v    int64
	}{{"exp", c.hasExp, c.exp}, {"nbf", c.hasNbf, c.nbf}, {"iat", c.hasIat, c.iat}} {
		if d.has {
			m[d.name] = float64(d.v)
		}
	}
	for _, s := range [...]struct {
		name string
		has  bool
		sp   span
	}{{"iss", c.hasIss, c.iss}, {"sub", c.hasSub, c.sub}, {"jti", c.hasJti, c.jti}} {
		if s.has {
			m[s.name] = spanText(p, s.sp)
		}
	}
	if c.hasAud {
		if !c.audArray {
			m["aud"] = spanText(p, c.aud[0])
		} else {
			aud := make([]any, c.nAud)
			for i, sp := range c.aud[:c.nAud] {
				aud[i] = spanText(p, sp)
			}
			m["aud"] = aud
		}
	}
	return nil
}

// anyValue decodes a JSON value that scanClaims has validated as
// encoding/json decodes into an interface: objects as map[string]any,
// arrays as []any, numbers as float64, strings, bools and nil. A number
// beyond float64 fails as encoding/json fails, with an UnmarshalTypeError.
func (s *scanner) anyValue() (any, error) {
	switch c := s.peek(); {
	case c == '"':
		sp, _ := s.str()
		return spanText(s.p, sp), nil
	case c == '{':
		s.i++
		m := map[string]any{}
		for s.skipSpace(); !s.consume('}'); s.skipSpace() {
			s.consume(',')
			s.skipSpace()
			name, _ := s.str()
			s.skipSpace()
			s.consume(':')
			s.skipSpace()
			v, err := s.anyValue()
			if err != nil {
				return nil, err
			}
			m[spanText(s.p, name)] = v
		}
		return m, nil
	case c == '[':
		s.i++
		a := []any{}
		for s.skipSpace(); !s.consume(']'); s.skipSpace() {
			s.consume(',')
			s.skipSpace()
			v, err := s.anyValue()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case c == 't':
		s.i += len("true")
		return true, nil
	case c == 'f':
		s.i += len("false")
		return false, nil
	case c == 'n':
		s.i += len("null")
		return nil, nil
	}
	start := s.i
	s.number()
	text := unsafe.String(&s.p[start], s.i-start)
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, &json.UnmarshalTypeError{Value: "number", Type: reflect.TypeFor[float64]()}
	}
	return f, nil
}

// restOf returns a JSON object of the members the registered claims do not
// hold, in their order and spelling.
func restOf(p []byte, c *claimSet) []byte {
	n := 2
	for _, m := range c.others[:c.nOthers] {
		n += int(m.end-m.start) + 1
	}
	rest := make([]byte, 0, n)
	rest = append(rest, '{')
	for i, m := range c.others[:c.nOthers] {
		if i > 0 {
			rest = append(rest, ',')
		}
		rest = append(rest, p[m.start:m.end]...)
	}
	return append(rest, '}')
}

// decodeStruct decodes the payload into a pointer to a struct that embeds
// jwt.RegisteredClaims, reading the payload once: the registered claims
// come from the scan, and only the other members go to encoding/json. It
// reports false when the type must take encoding/json's path whole.
func decodeStruct(p []byte, c *claimSet, v reflect.Value) (bool, error) {
	plan := planFor(v.Elem().Type())
	if !plan.direct {
		return false, nil
	}
	rc := v.Elem().Field(plan.reg).Addr().Interface().(*jwt.RegisteredClaims)
	fillRegistered(rc, p, c)
	if c.nOthers == 0 {
		return true, nil
	}
	return true, json.Unmarshal(restOf(p, c), v.Interface())
}
