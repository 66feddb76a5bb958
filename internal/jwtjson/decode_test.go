package jwtjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type plainUser struct {
	jwt.RegisteredClaims
	Role   string          `json:"role"`
	Level  int             `json:"level"`
	Tags   []string        `json:"tags"`
	Nested struct{ A int } `json:"nested"`
	Extra  map[string]any  `json:"extra"`
	Uses   int             `json:"github.com/jwtrot/uses"`
	Note   string
}

type ownSub struct {
	jwt.RegisteredClaims
	Sub string // encoding/json gives "sub" to this field, not the embedded one
}

type ownExp struct {
	jwt.RegisteredClaims
	Expiry json.Number `json:"exp"`
}

type pointerEmbed struct {
	*jwt.RegisteredClaims
	Role string `json:"role"`
}

type inner struct{ Aud []string }

type promotedAud struct {
	jwt.RegisteredClaims
	inner
}

type customJSON struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
}

func (c *customJSON) UnmarshalJSON(b []byte) error {
	type plain customJSON
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	p.Role = "custom:" + p.Role
	*c = customJSON(p)
	return nil
}

// decodePayloads are payloads with every kind of member the decoders
// read: registered claims of both aud forms, the use cap, escapes, nested
// values, names that match a field only under case folding.
var decodePayloads = []string{
	`{"exp":1795347600,"iat":1795344000,"sub":"alice","role":"admin","level":3,"tags":["a","b"],"nested":{"A":7},"extra":{"x":1.5},"Note":"n"}`,
	`{"exp":1795347600,"iat":1795344000,"sub":"bob","ROLE":"case-insensitive","aud":["api","web"],"nbf":1795000000,"jti":"j1"}`,
	`{"exp":1795347600,"iat":1795344000,"aud":"single","Role":"upper","level":-1}`,
	`{"exp":1795347600,"iat":1795344000,"role":"r","github.com/jwtrot/uses":100,"jti":"j2"}`,
	`{"iss":"a\u00e9\"b","sub":"\ud83d\ude00x","jti":"j","aud":"one"}`,
	`{"aud":["x","y\n"],"nbf":10,"n":1.5,"big":12345678901234567890,"o":{"a":[1,"2",null,true]}}`,
	`{"aud":[],"role":"r","x":"\/"}`,
	` { "o2" : { "k" : [ 1 , 2 ,[ ] ] , "e":{} , "a":[ ] , "\u0041\n":-0 } ,"f":false,"t":true,"z":null }`,
	`{"n1":-0.0,"n2":1e308,"n3":1E-400,"n4":-12.5e+3,"n5":0,"n6":123456789012345678901234567890}`,
	`{"deep":[[[[{"a":[{"b":{"c":["\u00e9\ud83d\ude00"]}}]}]]]],"s":"tab\tquote\"back\\"}`,
	`{}`,
}

// shapes are claims types, each with whether planFor decodes it directly
// (registered claims from the scan, the rest apart) or sends it whole to
// encoding/json (a type that could take a registered claim elsewhere).
var shapes = []struct {
	name   string
	new    func() any
	direct bool
}{
	{"plain", func() any { return new(plainUser) }, true},
	{"own Sub field", func() any { return new(ownSub) }, false},
	{"own exp field", func() any { return new(ownExp) }, false},
	{"pointer embed", func() any { return &pointerEmbed{RegisteredClaims: new(jwt.RegisteredClaims)} }, false},
	{"promoted Aud", func() any { return new(promotedAud) }, false},
	{"UnmarshalJSON", func() any { return new(customJSON) }, false},
	{"RegisteredClaims", func() any { return new(jwt.RegisteredClaims) }, false},
	{"fuzzClaims", func() any { return new(fuzzClaims) }, true},
}

func scan(t testing.TB, p string) Claims {
	t.Helper()
	var c Claims
	err := ScanClaims([]byte(p), &c)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return c
}

// TestPlanDirect: which struct types the direct path takes.
func TestPlanDirect(t *testing.T) {
	for _, sh := range shapes {
		if sh.name == "RegisteredClaims" {
			continue // no embedded RegisteredClaims: Decode fills it itself
		}
		if got := planFor(reflect.TypeOf(sh.new()).Elem()).direct; got != sh.direct {
			t.Errorf("%s: direct = %v; want %v", sh.name, got, sh.direct)
		}
	}
}

// TestDecodeMatchesEncodingJSON decodes every payload into every shape and
// into MapClaims with Decode and with encoding/json alone, and requires
// the same result.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	compared := 0
	for _, p := range decodePayloads {
		for _, sh := range shapes {
			c := scan(t, p)
			got, want := sh.new(), sh.new()
			gerr := c.Decode([]byte(p), got)
			jerr := json.Unmarshal([]byte(p), want)
			if (gerr != nil) != (jerr != nil) {
				t.Errorf("%s, %s: Decode %v, encoding/json %v", sh.name, p, gerr, jerr)
				continue
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("%s, %s:\n got %s\nwant %s", sh.name, p, g, w)
			}
			compared++
		}
		c := scan(t, p)
		got, want := jwt.MapClaims{"stale": 1}, jwt.MapClaims{"stale": 1}
		if err := c.Decode([]byte(p), got); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if err := json.Unmarshal([]byte(p), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("MapClaims, %s:\n got %#v\nwant %#v", p, got, want)
		}
	}
	if compared != len(shapes)*len(decodePayloads) {
		t.Fatalf("compared %d of %d decodings", compared, len(shapes)*len(decodePayloads))
	}
}

// TestDecodeResetsRegistered: a reused claims value keeps no registered
// claim from an earlier payload.
func TestDecodeResetsRegistered(t *testing.T) {
	first := `{"sub":"alice","nbf":1795000000}`
	second := `{"role":"r"}`
	var u plainUser
	c := scan(t, first)
	if err := c.Decode([]byte(first), &u); err != nil || u.NotBefore == nil {
		t.Fatal(err)
	}
	c = scan(t, second)
	if err := c.Decode([]byte(second), &u); err != nil || u.Subject != "" || u.NotBefore != nil || u.Role != "r" {
		t.Fatalf("reused value: %+v, %v", u, err)
	}
	rc := jwt.RegisteredClaims{Issuer: "stale", Audience: jwt.ClaimStrings{"x"}}
	if err := c.Decode([]byte(second), &rc); err != nil || !reflect.DeepEqual(rc, jwt.RegisteredClaims{}) {
		t.Fatalf("reused RegisteredClaims: %+v, %v", rc, err)
	}
}

// TestDecodeMapNumberOutOfRange: a number beyond float64 is refused as
// encoding/json refuses it, with an *json.UnmarshalTypeError naming the
// kind and type (package jwtrot words its refusal from them alone).
func TestDecodeMapNumberOutOfRange(t *testing.T) {
	for _, v := range []string{`1e400`, `-1e309`, `{"a":[1e999]}`} {
		p := `{"exp":1,"iat":1,"x":` + v + `}`
		var want jwt.MapClaims
		if json.Unmarshal([]byte(p), &want) == nil {
			t.Fatalf("encoding/json accepts %s", v)
		}
		c := scan(t, p)
		var te *json.UnmarshalTypeError
		if err := c.Decode([]byte(p), jwt.MapClaims{}); !errors.As(err, &te) || te.Value != "number" || te.Type != reflect.TypeFor[float64]() {
			t.Errorf("%s: %v", v, err)
		}
	}
}

// TestViewShares: Decode's strings without escapes share the payload's
// bytes (the reason p must not be written again), and those with escapes
// do not.
func TestViewShares(t *testing.T) {
	p := []byte(`{"sub":"alice","iss":"\u0061"}`)
	c := scan(t, string(p))
	var rc jwt.RegisteredClaims
	if err := c.Decode(p, &rc); err != nil {
		t.Fatal(err)
	}
	p[8] = 'A'
	if rc.Subject != "Alice" || rc.Issuer != "a" {
		t.Fatalf("sub %q, iss %q", rc.Subject, rc.Issuer)
	}
}

// FuzzDecodeMap: for every payload the claims reader accepts, MapClaims
// decoded from the scan equal encoding/json's, or both refuse.
func FuzzDecodeMap(f *testing.F) {
	for _, p := range []string{
		`{"exp":1,"iat":1}`,
		`{"exp":1,"iat":1,"aud":["a","b"],"x":{"y":[1,2.5e3,"\u00e9",null,true,false,{}]}}`,
		`{"iss":"i","sub":"s","jti":"j","n":-0,"big":1e400}`,
		`{"a":[[[]]],"b":"\ud83d\ude00","c":"\\\"\/\b\f\n\r\t"}`,
	} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var c Claims
		err := ScanClaims(p, &c)
		if err != nil {
			return
		}
		got := jwt.MapClaims{}
		gotErr := decodeMap(p, &c, got)
		want := jwt.MapClaims{}
		wantErr := json.Unmarshal(p, &want)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: decodeMap %v, encoding/json %v", p, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", p, got, want)
		}
	})
}

// fuzzClaims has a field of every kind the field decoder reads.
type fuzzClaims struct {
	jwt.RegisteredClaims
	S    string         `json:"s"`
	B    bool           `json:"b,omitempty"`
	I    int            `json:"i"`
	I8   int8           `json:"i8"`
	U    uint16         `json:"u"`
	F    float64        `json:"f"`
	F32  float32        `json:"f32"`
	L    []string       `json:"l"`
	A    any            `json:"a"`
	AL   []any          `json:"al"`
	M    map[string]any `json:"m"`
	Role string         // matched by "Role", "role", "ROLE"
	Skip string         `json:"-"`
}

// FuzzDecodeStruct: for every payload the claims reader accepts, a user
// struct decoded by jwtrot equals what encoding/json gives for the whole
// payload, or both refuse it.
func FuzzDecodeStruct(f *testing.F) {
	for _, p := range []string{
		`{"exp":1,"iat":1,"s":"x","b":true,"i":-3,"i8":127,"u":65535,"f":1.5,"f32":3.4e38,"l":["a",null,"\u00e9"],"a":{"k":[1,"2",null]},"al":[true],"m":{"x":{}},"role":"r"}`,
		`{"S":"upper","ROLE":"R","Skip":"no","priv":"no","i8":128}`,
		`{"l":null,"a":null,"m":null,"al":null,"s":null,"i":null}`,
		`{"i":1.0,"u":-1,"f32":1e39,"l":[1],"al":{},"m":[]}`,
		`{"unknown":{"deep":[1,2,{"x":"y"}]},"ſ":1,"K":2}`,
	} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var c Claims
		err := ScanClaims(p, &c)
		if err != nil {
			return
		}
		var got fuzzClaims
		direct, gotErr := decodeStruct(p, &c, reflect.ValueOf(&got))
		if !direct {
			t.Fatal("fuzzClaims is not decoded directly")
		}
		var want fuzzClaims
		wantErr := json.Unmarshal(p, &want)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: jwtrot %v, encoding/json %v", p, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", p, got, want)
		}
	})
}

// TestFieldPlan: structs the field decoder must leave to encoding/json.
func TestFieldPlan(t *testing.T) {
	type named []string
	for _, tt := range []struct {
		name string
		v    any
		fast bool
	}{
		{"plain fields", &fuzzClaims{}, true},
		{"a ,string option", &struct {
			jwt.RegisteredClaims
			N int `json:"n,string"`
		}{}, false},
		{"a time.Time", &struct {
			jwt.RegisteredClaims
			T time.Time `json:"t"`
		}{}, false},
		{"a pointer", &struct {
			jwt.RegisteredClaims
			P *string `json:"p"`
		}{}, false},
		{"a named slice", &struct {
			jwt.RegisteredClaims
			N named `json:"n"`
		}{}, false},
		{"names equal but for case", &struct {
			jwt.RegisteredClaims
			A string `json:"role"`
			B string `json:"Role"`
		}{}, false},
		{"another embedded struct", &struct {
			jwt.RegisteredClaims
			Extra
		}{}, false},
	} {
		p := planFor(reflect.TypeOf(tt.v).Elem())
		if !p.direct {
			t.Fatalf("%s: not direct", tt.name)
		}
		if (p.fields != nil) != tt.fast {
			t.Errorf("%s: field decoder %v, want %v", tt.name, p.fields != nil, tt.fast)
		}
	}
}

type Extra struct{ X string }
