package jwtjson

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// A fieldPlan decodes the members of a payload that are not registered
// claims into the other fields of a user's claims struct, without
// encoding/json, for structs whose fields encoding/json would fill in the
// plain way: exported, not embedded, named by their field name or a JSON
// tag, of a kind whose decoding is fixed (strings, bools, numbers, []string,
// []any, map[string]any, any) and with no UnmarshalJSON or UnmarshalText.
// Any other struct keeps encoding/json's path, and so does any payload this
// decoder is not sure to read as encoding/json would (a name that matches
// no field exactly and is not ASCII), so the result is always
// json.Unmarshal's. Strings view the payload buffer, as the registered
// claims do.
type fieldPlan struct {
	fields []fieldInfo
	exact  map[string]int // JSON name → index in fields
	folded map[string]int // ASCII-lowercased JSON name → index in fields
}

type fieldInfo struct {
	index int // in the struct
	kind  fieldKind
	typ   reflect.Type
}

type fieldKind uint8

const (
	kindString fieldKind = iota + 1
	kindBool
	kindInt
	kindUint
	kindFloat
	kindStrings // []string
	kindAny     // any, []any, map[string]any: what anyValue gives
)

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	anySliceType        = reflect.TypeFor[[]any]()
	anyMapType          = reflect.TypeFor[map[string]any]()
	anyType             = reflect.TypeFor[any]()
	stringSliceType     = reflect.TypeFor[[]string]()
)

// fieldPlanFor returns the plan of struct t's fields other than field reg,
// or nil if encoding/json must decode them.
func fieldPlanFor(t reflect.Type, reg int) *fieldPlan {
	fp := &fieldPlan{exact: map[string]int{}, folded: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		if i == reg {
			continue
		}
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		if f.Anonymous {
			return nil // promoted fields: encoding/json's rules of dominance
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		for _, o := range strings.Split(opts, ",") {
			if o != "" && o != "omitempty" && o != "omitzero" {
				return nil // ",string" and anything else
			}
		}
		if name == "" || !validTagName(name) {
			name = f.Name
		}
		kind := kindOf(f.Type)
		if kind == 0 {
			return nil
		}
		folded := asciiLower(name)
		if _, dup := fp.folded[folded]; dup || folded == "" {
			return nil // two names one could take for the other
		}
		fp.exact[name] = len(fp.fields)
		fp.folded[folded] = len(fp.fields)
		fp.fields = append(fp.fields, fieldInfo{index: i, kind: kind, typ: f.Type})
	}
	return fp
}

// validTagName is encoding/json's rule for a usable tag name.
func validTagName(s string) bool {
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c > 0x7f):
			return false
		}
	}
	return true
}

// kindOf returns how a field of type t is decoded, 0 if not by this plan.
func kindOf(t reflect.Type) fieldKind {
	if t.Implements(unmarshalerTyp) || reflect.PointerTo(t).Implements(unmarshalerTyp) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return 0
	}
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Bool:
		return kindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return kindUint
	case reflect.Float32, reflect.Float64:
		return kindFloat
	}
	switch t {
	case stringSliceType:
		return kindStrings
	case anyType, anySliceType, anyMapType:
		return kindAny
	}
	return 0
}

// asciiLower lowercases ASCII letters; "" for a name with other bytes.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 0x80:
			return ""
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// zero reports whether every planned field of v is zero: encoding/json
// merges into maps and reuses what an interface holds, so a struct the
// caller filled in takes encoding/json's path.
func (fp *fieldPlan) zero(v reflect.Value) bool {
	for _, f := range fp.fields {
		if !v.Field(f.index).IsZero() {
			return false
		}
	}
	return true
}

// decode sets the fields of v from the payload's other members. It reports
// false, before or after setting some fields, when encoding/json must
// decode the members instead: it then sets the same fields to the same
// values.
func (fp *fieldPlan) decode(p []byte, c *Claims, v reflect.Value) (bool, error) {
	ps := unsafe.String(unsafe.SliceData(p), len(p))
	var ar arena
	for _, o := range c.others[:c.nOthers] {
		s, name := otherMember(p, int(o.Start), int(o.End))
		i, ok := fp.lookup(viewText(ps, p, name))
		if !ok {
			if !name.ASCII {
				return false, nil // encoding/json folds beyond ASCII
			}
			if err := s.value(2); err != nil {
				return true, err
			}
			continue
		}
		f := &fp.fields[i]
		if err := s.decodeField(ps, &ar, f, v.Field(f.index)); err != nil {
			return true, err
		}
	}
	return true, nil
}

// lookup finds the field a member name selects: the exact name first, then
// the name equal to it under ASCII case folding.
func (fp *fieldPlan) lookup(name string) (int, bool) {
	if i, ok := fp.exact[name]; ok {
		return i, true
	}
	if len(name) > 64 {
		return 0, false
	}
	var buf [64]byte
	b := buf[:len(name)]
	for j := 0; j < len(name); j++ {
		c := name[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[j] = c
	}
	i, ok := fp.folded[string(b)]
	return i, ok
}

// decodeField decodes the value at the scanner into field fv, as
// encoding/json would: null leaves a string, bool or number as it is and
// sets a slice, map or interface to nil; a value of the wrong JSON kind or
// out of range is an *json.UnmarshalTypeError.
func (s *scanner) decodeField(ps string, ar *arena, f *fieldInfo, fv reflect.Value) error {
	c := s.peek()
	if c == 'n' {
		s.i += len("null")
		if f.kind == kindStrings || f.kind == kindAny {
			fv.SetZero()
		}
		return nil
	}
	mismatch := func() error {
		return &json.UnmarshalTypeError{Value: jsonKind(c), Type: f.typ}
	}
	switch f.kind {
	case kindString:
		if c != '"' {
			return mismatch()
		}
		fv.SetString(viewText(ps, s.p, s.skipString()))
	case kindBool:
		switch c {
		case 't':
			s.i += len("true")
			fv.SetBool(true)
		case 'f':
			s.i += len("false")
			fv.SetBool(false)
		default:
			return mismatch()
		}
	case kindInt, kindUint, kindFloat:
		if c != '-' && (c < '0' || c > '9') {
			return mismatch()
		}
		start := s.i
		s.number()
		text := unsafe.String(&s.p[start], s.i-start)
		switch f.kind {
		case kindInt:
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil || fv.OverflowInt(n) {
				return mismatch()
			}
			fv.SetInt(n)
		case kindUint:
			n, err := strconv.ParseUint(text, 10, 64)
			if err != nil || fv.OverflowUint(n) {
				return mismatch()
			}
			fv.SetUint(n)
		default:
			n, err := strconv.ParseFloat(text, f.typ.Bits())
			if err != nil || fv.OverflowFloat(n) {
				return mismatch()
			}
			fv.SetFloat(n)
		}
	case kindStrings:
		if c != '[' {
			return mismatch()
		}
		s.i++
		list := make([]string, 0, s.countElements())
		for s.skipSpace(); !s.consume(']'); s.skipSpace() {
			s.consume(',')
			s.skipSpace()
			switch s.peek() {
			case '"':
				list = append(list, viewText(ps, s.p, s.skipString()))
			case 'n':
				s.i += len("null")
				list = append(list, "")
			default:
				return &json.UnmarshalTypeError{Value: jsonKind(s.peek()), Type: stringType0}
			}
		}
		fv.Set(reflect.ValueOf(list))
	case kindAny:
		val, err := s.anyValue(ps, ar)
		if err != nil {
			return err
		}
		switch f.typ {
		case anySliceType:
			a, ok := val.([]any)
			if !ok {
				return mismatch()
			}
			fv.Set(reflect.ValueOf(a))
		case anyMapType:
			m, ok := val.(map[string]any)
			if !ok {
				return mismatch()
			}
			fv.Set(reflect.ValueOf(m))
		default:
			fv.Set(reflect.ValueOf(&val).Elem())
		}
	}
	return nil
}

var stringType0 = reflect.TypeFor[string]()

// jsonKind names the kind of the JSON value starting with c, as
// encoding/json's UnmarshalTypeError does.
func jsonKind(c byte) string {
	switch {
	case c == '"':
		return "string"
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == 't' || c == 'f':
		return "bool"
	}
	return "number"
}
