package jwtjson

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
)

// A structPlan says how to decode into a pointer to one struct type: which
// field is the embedded jwt.RegisteredClaims that the scan fills directly,
// or that the type must go through encoding/json whole.
type structPlan struct {
	direct bool // false: json.Unmarshal the whole payload
	reg    int  // index of the embedded jwt.RegisteredClaims
	// fields, when not nil, decode the other members without encoding/json
	// (fields.go); nil sends them to encoding/json.
	fields *fieldPlan
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
		if p.direct {
			p.fields = fieldPlanFor(t, p.reg)
		}
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
func decodeMap(p []byte, c *Claims, m jwt.MapClaims) error {
	ps := unsafe.String(unsafe.SliceData(p), len(p))
	var ar arena
	for _, o := range c.others[:c.nOthers] {
		s, name := otherMember(p, int(o.Start), int(o.End))
		v, err := s.anyValue(ps, &ar)
		if err != nil {
			return err
		}
		m[viewText(ps, p, name)] = v
	}
	for _, d := range [...]struct {
		name string
		has  bool
		v    int64
	}{{"exp", c.HasExp, c.Exp}, {"nbf", c.HasNbf, c.Nbf}, {"iat", c.HasIat, c.Iat}} {
		if d.has {
			m[d.name] = float64(d.v)
		}
	}
	for _, s := range [...]struct {
		name string
		has  bool
		sp   Span
	}{{"iss", c.HasIss, c.Iss}, {"sub", c.HasSub, c.Sub}, {"jti", c.HasJti, c.Jti}} {
		if s.has {
			m[s.name] = s.sp.Text(p)
		}
	}
	if c.HasAud {
		if !c.audArray {
			m["aud"] = c.aud[0].Text(p)
		} else {
			aud := make([]any, c.nAud)
			for i, sp := range c.aud[:c.nAud] {
				aud[i] = sp.Text(p)
			}
			m["aud"] = aud
		}
	}
	return nil
}

// otherMember returns a scanner standing at the value of the member at
// p[start:end], which scanClaims validated, and the member's name.
func otherMember(p []byte, start, end int) (scanner, Span) {
	s := scanner{p: p[:end], i: start}
	name := s.skipString()
	s.skipSpace()
	s.consume(':')
	s.skipSpace()
	return s, name
}

// anyValue decodes a JSON value that scanClaims has validated as
// encoding/json decodes into an interface: objects as map[string]any,
// arrays as []any, numbers as float64, strings, bools and nil. A number
// beyond float64 fails as encoding/json fails, with an UnmarshalTypeError.
//
// ps is s.p as a string: strings without escapes view it rather than copy
// it, as fillRegistered's do (the payload buffer is never written again).
func (s *scanner) anyValue(ps string, ar *arena) (any, error) {
	switch c := s.peek(); {
	case c == '"':
		return ar.str(viewText(ps, s.p, s.skipString())), nil
	case c == '{':
		s.i++
		m := map[string]any{}
		for s.skipSpace(); !s.consume('}'); s.skipSpace() {
			s.consume(',')
			s.skipSpace()
			name := s.skipString()
			s.skipSpace()
			s.consume(':')
			s.skipSpace()
			v, err := s.anyValue(ps, ar)
			if err != nil {
				return nil, err
			}
			m[viewText(ps, s.p, name)] = v
		}
		return m, nil
	case c == '[':
		s.i++
		a := make([]any, 0, s.countElements())
		for s.skipSpace(); !s.consume(']'); s.skipSpace() {
			s.consume(',')
			s.skipSpace()
			v, err := s.anyValue(ps, ar)
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
	return ar.float(f), nil
}

// An arena boxes the strings and numbers of one payload into interfaces
// many at a time: converting a string or a float64 to an interface
// allocates its value alone, so a claim of a thousand strings would cost a
// thousand allocations. The arena allocates the values in blocks and makes
// each interface point into a block, as the conversion would point into its
// own allocation. Nothing writes a value once boxed.
type arena struct {
	strs   []string
	floats []float64
}

const arenaBlock = 32

func (a *arena) str(v string) any {
	if len(a.strs) == cap(a.strs) {
		a.strs = make([]string, 0, arenaBlock)
	}
	a.strs = append(a.strs, v)
	return boxed(stringType, unsafe.Pointer(&a.strs[len(a.strs)-1]))
}

func (a *arena) float(v float64) any {
	if len(a.floats) == cap(a.floats) {
		a.floats = make([]float64, 0, arenaBlock)
	}
	a.floats = append(a.floats, v)
	return boxed(float64Type, unsafe.Pointer(&a.floats[len(a.floats)-1]))
}

// eface is the layout of an empty interface: its dynamic type and a pointer
// to its value.
type eface struct {
	typ, data unsafe.Pointer
}

var (
	stringType  = typeOf("")
	float64Type = typeOf(0.0)
)

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// boxed returns the interface of dynamic type typ whose value is at data.
func boxed(typ, data unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

// countElements counts the elements of the validated array whose '[' the
// scanner has just passed, so that its []any is allocated once.
func (s *scanner) countElements() int {
	n, depth, empty := 1, 0, true
	for i := s.i; i < len(s.p); i++ {
		switch c := s.p[i]; c {
		case '"':
			for i++; i < len(s.p) && s.p[i] != '"'; i++ {
				if s.p[i] == '\\' {
					i++
				}
			}
			empty = false
		case '[', '{':
			depth++
			empty = false
		case ']', '}':
			if depth == 0 {
				if empty {
					return 0
				}
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		case ' ', '\t', '\n', '\r':
		default:
			empty = false
		}
	}
	return n
}

// skipString passes over a string the scanner has validated before,
// finding its end and whether it has escapes without checking it again.
func (s *scanner) skipString() Span {
	s.i++ // the opening quote
	sp := Span{Start: s.i}
	for s.i < len(s.p) {
		switch s.p[s.i] {
		case '"':
			sp.End = s.i
			s.i++
			return sp
		case '\\':
			sp.Escaped = true
			s.i++ // the escaped byte cannot end the string
		}
		s.i++
	}
	sp.End = s.i
	return sp
}

// viewText is Span.Text, viewing ps (p as a string) when the Span has no
// escapes.
func viewText(ps string, p []byte, sp Span) string {
	if sp.Escaped {
		return sp.Text(p)
	}
	return ps[sp.Start:sp.End]
}

// restOf returns a JSON object of the members the registered claims do not
// hold, in their order and spelling.
func restOf(p []byte, c *Claims) []byte {
	n := 2
	for _, m := range c.others[:c.nOthers] {
		n += int(m.End-m.Start) + 1
	}
	rest := make([]byte, 0, n)
	rest = append(rest, '{')
	for i, m := range c.others[:c.nOthers] {
		if i > 0 {
			rest = append(rest, ',')
		}
		rest = append(rest, p[m.Start:m.End]...)
	}
	return append(rest, '}')
}

// decodeStruct decodes the payload into a pointer to a struct that embeds
// jwt.RegisteredClaims, reading the payload once: the registered claims
// come from the scan, and only the other members go to encoding/json. It
// reports false when the type must take encoding/json's path whole.
func decodeStruct(p []byte, c *Claims, v reflect.Value) (bool, error) {
	plan := planFor(v.Elem().Type())
	if !plan.direct {
		return false, nil
	}
	rc := v.Elem().Field(plan.reg).Addr().Interface().(*jwt.RegisteredClaims)
	fillRegistered(rc, p, c)
	if c.nOthers == 0 {
		return true, nil
	}
	if plan.fields != nil && plan.fields.zero(v.Elem()) {
		if done, err := plan.fields.decode(p, c, v.Elem()); done {
			return true, err
		}
	}
	return true, json.Unmarshal(restOf(p, c), v.Interface())
}

// Decode delivers the payload p, which ScanClaims read into c, into dst as
// json.Unmarshal(p, dst) would, reading p once where it can: a
// *jwt.RegisteredClaims from the scan alone, a jwt.MapClaims with only its
// other members decoded, a pointer to a struct that embeds
// jwt.RegisteredClaims with only its other fields (see planFor). Any other
// pointer goes to json.Unmarshal. Strings without escapes share p's bytes,
// so p must never be written again. dst is a non-nil pointer or a non-nil
// MapClaims; a decoding error is encoding/json's kind (an
// *json.UnmarshalTypeError where it gives one).
func (c *Claims) Decode(p []byte, dst any) error {
	switch dst := dst.(type) {
	case *jwt.RegisteredClaims:
		fillRegistered(dst, p, c)
		return nil
	case jwt.MapClaims:
		return decodeMap(p, c, dst)
	}
	if v := reflect.ValueOf(dst); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		if direct, err := decodeStruct(p, c, v); direct {
			return err
		}
	}
	return json.Unmarshal(p, dst)
}

// fillRegistered sets rc from a scanned payload without encoding/json: the
// strings share the payload's bytes, the dates one array. p is the buffer
// verify decoded the payload into and never writes again, so the strings
// view it without a copy; they keep its few hundred bytes alive as long as
// any of them lives.
func fillRegistered(rc *jwt.RegisteredClaims, p []byte, c *Claims) {
	*rc = jwt.RegisteredClaims{}
	ps := unsafe.String(unsafe.SliceData(p), len(p))
	if c.HasIss {
		rc.Issuer = viewText(ps, p, c.Iss)
	}
	if c.HasSub {
		rc.Subject = viewText(ps, p, c.Sub)
	}
	if c.HasJti {
		rc.ID = viewText(ps, p, c.Jti)
	}
	if c.HasAud {
		rc.Audience = make(jwt.ClaimStrings, c.nAud)
		for i, sp := range c.aud[:c.nAud] {
			rc.Audience[i] = viewText(ps, p, sp)
		}
	}
	dates := new([3]jwt.NumericDate)
	set := func(i int, has bool, v int64) *jwt.NumericDate {
		if !has {
			return nil
		}
		dates[i].Time = time.Unix(v, 0)
		return &dates[i]
	}
	rc.ExpiresAt = set(0, c.HasExp, c.Exp)
	rc.NotBefore = set(1, c.HasNbf, c.Nbf)
	rc.IssuedAt = set(2, c.HasIat, c.Iat)
}
